CREATE TABLE bookmark_tags (
    bookmark BIGINT NOT NULL REFERENCES bookmarks ON DELETE CASCADE,
    tag TEXT NOT NULL
);
