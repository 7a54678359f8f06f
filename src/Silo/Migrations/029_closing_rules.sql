-- How a conversation ended: resolved by an agent, by the bot, or closed by the engine because the customer went silent
-- after the agent's answer (inactive) or nobody answered them before the response window closed (abandoned).
alter table conversations add column resolution text
    check (resolution in ('agent', 'bot', 'inactive', 'abandoned'));
update conversations set resolution = case when bot_outcome = 'resolved' then 'bot' else 'agent' end
 where status = 'resolved';
-- Hours of customer silence after the agent spoke last before the conversation is resolved as inactive.
alter table businesses add column inactive_after_hours int not null default 24 check (inactive_after_hours between 1 and 720);
