-- Deadlines are fired by their owning grains (a grain timer while active, a reminder near the deadline, a sweep for
-- anything overdue), fenced by generation: nodes no longer lease timer rows.
alter table timers drop column if exists lease_owner, drop column if exists lease_until;
