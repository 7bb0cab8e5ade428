DROP INDEX bookmark_tags_by_tag;
