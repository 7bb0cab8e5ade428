-- The list endpoint pages through traces newest first.
CREATE INDEX ix_traces_created_at ON traces (created_at);
