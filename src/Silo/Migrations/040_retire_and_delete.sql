-- Retiring labels, deleting quick replies.
-- A retired label is hidden from pickers and its rules stop labelling; the conversations it is on keep it (history).
alter table labels add column retired_at timestamptz;

-- A deleted quick reply leaves its uses counted (each agent's share of replies from templates stays true).
alter table quick_reply_uses alter column template_id drop not null;
alter table quick_reply_uses drop constraint quick_reply_uses_template_id_fkey;
alter table quick_reply_uses add constraint quick_reply_uses_template_id_fkey
    foreign key (template_id) references quick_replies(id) on delete set null;
