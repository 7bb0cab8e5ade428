-- Benchmark schema, migration 5 of 15.
CREATE TABLE comments (
    id bigserial PRIMARY KEY,
    issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_issue_id_idx ON comments (issue_id, created_at);
