-- Benchmark schema, migration 12 of 15.
CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issue_id bigint REFERENCES issues (id) ON DELETE CASCADE,
    kind text NOT NULL,
    read_at timestamptz
);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
