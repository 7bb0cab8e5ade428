-- Benchmark schema, migration 15 of 15.
ALTER TABLE issues ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED;
CREATE INDEX issues_search_idx ON issues USING gin (search);
CREATE VIEW open_issue_counts AS
    SELECT project_id, count(*) AS open_issues FROM issues WHERE state = 'open' GROUP BY project_id;
