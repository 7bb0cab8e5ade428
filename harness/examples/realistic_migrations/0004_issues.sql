-- Benchmark schema, migration 4 of 15.
CREATE TABLE issues (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    author_id bigint NOT NULL REFERENCES users (id),
    title text NOT NULL,
    body text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT 'open',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issues_project_state_idx ON issues (project_id, state);
CREATE INDEX issues_author_id_idx ON issues (author_id);
