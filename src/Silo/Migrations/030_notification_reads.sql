-- Notifications reach every Editor and Administrator; each marks them read for themself.
create table notification_reads (
    notification_id bigint not null references notifications (id) on delete cascade,
    user_id         uuid not null references users (id),
    read_at         timestamptz not null,
    primary key (notification_id, user_id)
);
