-- Benchmark schema, migration 7 of 15.
CREATE TABLE milestones (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title text NOT NULL,
    due_on date
);
ALTER TABLE issues ADD COLUMN milestone_id bigint REFERENCES milestones (id) ON DELETE SET NULL;
CREATE INDEX issues_milestone_id_idx ON issues (milestone_id);
