-- A WhatsApp channel's message templates, synced from its business account (on demand and by the daily check) and
-- kept current by message_template_status_update webhooks.
create table whatsapp_templates (
    channel_id      uuid not null references channels(id),
    name            text not null,
    language        text not null,
    provider_id     text not null,
    category        text,
    status          text not null,           -- APPROVED, PENDING, REJECTED, PAUSED, DISABLED… as Meta says
    reason          text,                    -- why rejected or paused, when Meta says
    components      jsonb not null default '[]',
    body_parameters integer not null default 0,
    synced_at       timestamptz not null,
    updated_at      timestamptz not null,
    primary key (channel_id, name, language)
);
create index whatsapp_templates_provider on whatsapp_templates (channel_id, provider_id);
