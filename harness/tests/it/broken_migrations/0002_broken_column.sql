ALTER TABLE widgets ADD COLUMN name no_such_type;
