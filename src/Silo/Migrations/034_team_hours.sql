-- A team's own opening hours (the same document as the business's); null: the team keeps the business's hours.
alter table teams add column hours jsonb;
