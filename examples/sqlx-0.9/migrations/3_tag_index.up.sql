-- no-transaction
CREATE INDEX CONCURRENTLY bookmark_tags_by_tag ON bookmark_tags (tag);
