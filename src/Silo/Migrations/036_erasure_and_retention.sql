-- Erasure of a customer's personal data, and the retention of message bodies.

-- A customer erased on request: the row that keeps their anonymised history (no name, phone, id at the provider).
alter table contacts add column erased_at timestamptz;

-- A message whose body (text, media, caption, location…) was removed, by erasure or by the business's retention.
alter table messages add column erased_at timestamptz;

-- Message bodies and media older than this many days are removed by the daily check (null: kept).
alter table businesses add column message_retention_days integer
    check (message_retention_days between 1 and 3650);
-- Messages created before this were already removed by the retention (the daily check resumes from here).
alter table businesses add column retention_through timestamptz;

-- A JSON document without what identifies a person: the values under these keys, at any depth, become null.
create function erase_personal(j jsonb) returns jsonb language plpgsql immutable as $$
declare
    personal constant text[] := array[
        'text', 'body', 'caption', 'filename', 'comment', 'note', 'notes', 'title', 'description',
        'name', 'profileName', 'displayName', 'firstName', 'lastName', 'nickname',
        'phone', 'phoneE164', 'e164', 'waId', 'wa_id', 'externalId', 'openId', 'openid', 'unionId', 'bsuid',
        'email', 'address', 'latitude', 'longitude', 'url', 'link', 'mediaId', 'media', 'payload', 'content',
        'attributes', 'lastOrder', 'tags', 'profile', 'contact', 'contacts', 'customer'];
begin
    return case jsonb_typeof(j)
        when 'object' then coalesce((select jsonb_object_agg(k, case when k = any(personal) then 'null'::jsonb
                                                                      else erase_personal(v) end)
                                       from jsonb_each(j) as e(k, v)), '{}'::jsonb)
        when 'array' then coalesce((select jsonb_agg(erase_personal(v)) from jsonb_array_elements(j) as a(v)),
                                   '[]'::jsonb)
        else j
    end;
end $$;
