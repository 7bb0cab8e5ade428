-- Benchmark schema, migration 8 of 15.
CREATE TABLE attachments (
    id bigserial PRIMARY KEY,
    issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    uploader_id bigint NOT NULL REFERENCES users (id),
    file_name text NOT NULL,
    byte_size bigint NOT NULL CHECK (byte_size >= 0),
    sha256 bytea NOT NULL
);
CREATE INDEX attachments_issue_id_idx ON attachments (issue_id);
CREATE UNIQUE INDEX attachments_sha256_idx ON attachments (issue_id, sha256);
