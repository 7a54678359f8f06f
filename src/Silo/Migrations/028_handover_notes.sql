-- A transfer's or an escalation's comment is kept in the conversation's thread as a hand-over note, for the agent who
-- receives it; written by whoever handed over (an API key without a user has no author).
alter table conversation_notes add column kind text not null default 'note' check (kind in ('note', 'handover'));
alter table conversation_notes alter column author_id drop not null;
alter table conversation_notes drop constraint conversation_notes_text_check;
alter table conversation_notes add constraint conversation_notes_text_check
    check (kind = 'handover' or char_length(text) <= 300);
