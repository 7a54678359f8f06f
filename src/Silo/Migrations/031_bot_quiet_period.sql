-- A conversation the bot answered (a keyword or flow answer) is the bot's until the customer writes again; silent for
-- this long, it is resolved by the bot.
alter table businesses add column bot_quiet_minutes int not null default 30 check (bot_quiet_minutes between 5 and 1440);
