-- Customer satisfaction: a rating request when a conversation is resolved, and the answer.
create table csat_requests (
    conversation_id  uuid primary key references conversations(id),
    business_id      uuid not null,
    contact_id       uuid not null references contacts(id),
    agent_id         uuid,
    team_id          uuid,
    requested_at     timestamptz not null,
    rating           int check (rating between 1 and 5),
    comment          text,
    answered_at      timestamptz
);
create index csat_requests_pending on csat_requests (contact_id, requested_at) where answered_at is null;
create index csat_requests_business on csat_requests (business_id, answered_at);
