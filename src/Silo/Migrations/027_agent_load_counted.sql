-- An agent's load is their open assigned conversations, counted from the conversations; an assignment holds a seat on
-- the agent's grain before it commits. The separately kept counter goes.
alter table users drop column open_load;
