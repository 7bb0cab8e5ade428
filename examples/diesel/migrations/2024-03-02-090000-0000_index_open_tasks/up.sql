CREATE INDEX CONCURRENTLY open_tasks ON tasks (id) WHERE NOT done;
