-- Drops the search index and its backlog.
DROP TABLE IF EXISTS search_backlog;
DROP TABLE IF EXISTS message_search;
