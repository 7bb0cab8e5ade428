-- Benchmark schema, migration 6 of 15.
CREATE TABLE labels (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    color text NOT NULL DEFAULT '#888888',
    UNIQUE (project_id, name)
);
CREATE TABLE issue_labels (
    issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    label_id bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX issue_labels_label_id_idx ON issue_labels (label_id);
