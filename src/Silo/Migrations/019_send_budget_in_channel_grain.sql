-- The number's per-second send budget is kept by its channel grain (one activation in the cluster), not a shared row.
drop table if exists send_rate;
