-- Keys can expire; the key configured as Engine:BootstrapAdminKey is marked, so configuring another revokes it.
alter table api_keys add column expires_at timestamptz, add column bootstrap boolean not null default false;
update api_keys set bootstrap = true where name = 'bootstrap administrator';
