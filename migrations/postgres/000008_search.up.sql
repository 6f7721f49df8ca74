-- 000008: the search index (issue 16). What a search matches is
-- adapters/textindex's one meaning: per term, any of its forms; a form of
-- three runes or more as a substring of the folded text, a shorter one as
-- a whole token. The store writes a message's row here in the
-- transaction that writes its text (append, edit), and removes it in the
-- one that deletes it; no trigger computes it, because only Go knows the
-- folding and the tokens.
--
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per message that is not deleted. body is the folded text
-- (textindex.Doc.Body) for substrings: LIKE '%form%' through the trigram
-- index. tokens are its tokens shorter than three runes, the only ones a
-- query matches as tokens (each "t" and its UTF-8 in hex, as
-- textindex.EncodeToken writes it, so a CJK character, an emoji or a
-- two-letter word is one plain lexeme), made a tsvector with
-- array_to_tsvector, which keeps each lexeme as it is: a short form is one
-- lexeme of a tsquery. room_id is
-- the message's, so a search over a member's rooms needs no join to
-- narrow them. A room's deletion takes its messages and their rows.
CREATE TABLE message_search (
    message_id bigint   PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    room_id    bigint   NOT NULL,
    body       text     NOT NULL,
    tokens     tsvector NOT NULL
);

-- Both GIN indexes keep fastupdate (the default): an append adds its
-- entries to the pending list, merged in bulk later; with it off every
-- append updated each of its trigrams' posting trees, and appends ran at a
-- fifth of the rate (BenchmarkAppend).
CREATE INDEX message_search_body_idx ON message_search USING gin (body gin_trgm_ops);
CREATE INDEX message_search_tokens_idx ON message_search USING gin (tokens);
-- The newest hits of a common word: the rooms' rows newest first, each
-- checked against the terms, until the page is full.
CREATE INDEX message_search_room_idx ON message_search (room_id, message_id);

-- The messages written before this migration are indexed by the store
-- (DB.IndexBacklog) after it, in short batches, from next_id up to
-- last_id: messages above last_id were written with their rows. A start
-- with the index switched off (SEARCH_INDEX=off) writes messages without
-- rows, so it moves next_id to the first of them and last_id to the
-- largest bigint: the next start with the index on walks them.
CREATE TABLE search_backlog (
    id      smallint PRIMARY KEY CHECK (id = 1),
    next_id bigint   NOT NULL,
    last_id bigint   NOT NULL
);

INSERT INTO search_backlog (id, next_id, last_id) SELECT 1, 1, COALESCE(MAX(id), 0) FROM messages;
