-- Benchmark schema, migration 13 of 15.
CREATE TABLE reactions (
    comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji text NOT NULL,
    PRIMARY KEY (comment_id, user_id, emoji)
);
