DROP TABLE bookmark_tags;
