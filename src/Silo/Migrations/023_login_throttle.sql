-- Failed log-ins per account (the email as typed, known or not), shared by every node: five in a row block the
-- account for a growing time.
create table login_failures (
    account        text primary key,
    failures       int not null,
    last_failed_at timestamptz not null,
    blocked_until  timestamptz
);
