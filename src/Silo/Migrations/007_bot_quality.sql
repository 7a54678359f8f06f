-- A business's sample questions with the rule each should get, for the bot's match rate.
create table bot_test_questions (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    text         text not null,
    expected     text not null,     -- a rule name, 'hand_over' or 'none'
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);
create index bot_test_questions_business on bot_test_questions (business_id);
