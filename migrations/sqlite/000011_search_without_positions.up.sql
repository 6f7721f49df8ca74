-- 000011: the FTS5 table keeps no positions (detail = none). With them
-- (000008) each of a message's trigrams carried its offsets, and the index
-- was 2.7 times the size and cost appends a third more (FTS5 alone, 1M
-- rows: 35 µs a row, 21 µs without). A query now asks for the AND of a
-- form's trigrams, wherever they occur in the row, and the store checks
-- each candidate with Query.Matches (sqlstore's liteIndex), so what a
-- search finds is the same. A short token is no longer a phrase of its
-- hex's trigrams in the tokens column but the token between \x01 and \x02
-- (sqlstore's liteToken): two trigrams that occur together only where it is
-- a whole token.
--
-- The table is made anew and every message is indexed again by the
-- store's backlog (DB.IndexBacklog), in short batches after the start, from
-- the first message to the last one written before this migration (or, if
-- the index was switched off, to the end: last_id stays the largest
-- integer). Until the backlog is done, a search finds the older messages
-- only through its walk of the newest ones.
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5 (
    body, tokens, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1, detail = none
);
-- FTS5 merges a level's segments once automerge of them are there (4 by
-- default), inside the writing transaction: with 8, each entry is
-- rewritten fewer times on its way to the larger segments, and appends
-- index a quarter faster (FTS5 alone, 500k rows in transactions of 40:
-- 36,600 rows/s, 46,400 with 8), while a search reads at most twice as
-- many segments per level.
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 8);
UPDATE search_backlog SET next_id = 1, last_id = MAX(last_id, (SELECT COALESCE(MAX(id), 0) FROM messages));
