-- Where a contact's language came from: 'message' (the script of their first messages), 'wechat' (the language of
-- their WeChat profile), 'person' (set by an agent or through the API). A profile replaces a guess, never a person's
-- choice; languages set before this are kept as if a person had chosen them.
alter table contacts add column language_source text check (language_source in ('message', 'wechat', 'person'));
update contacts set language_source = 'person' where language is not null;
