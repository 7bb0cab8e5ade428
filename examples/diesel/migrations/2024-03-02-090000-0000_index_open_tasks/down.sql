DROP INDEX open_tasks;
