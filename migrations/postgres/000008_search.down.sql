-- Drops the search index and its backlog. pg_trgm stays: another schema
-- of the database may use it, and it costs nothing unused.
DROP TABLE IF EXISTS search_backlog;
DROP TABLE IF EXISTS message_search;
