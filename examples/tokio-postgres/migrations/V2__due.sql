ALTER TABLE tasks ADD COLUMN due date;
CREATE INDEX tasks_open ON tasks (id) WHERE NOT done;
