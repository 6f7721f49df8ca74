-- 000008: the search index (issue 16; SQLite twin of postgres/000008).
-- What a search matches is adapters/textindex's one meaning: per term, any
-- of its forms; a form of three runes or more as a substring of the folded
-- text, a shorter one as a whole token. The store writes a message's rows
-- here in the transaction that writes its text (append, edit), and
-- removes them in the one that deletes it (or its room); no trigger
-- computes them, because only Go knows the folding and the tokens.
--
-- FTS5 is compiled into go-sqlite3 only with the build tag sqlite_fts5
-- (make build and the Dockerfile pass it); without it this migration fails
-- with "no such module: fts5", and sqlstore.Open says so first.
--
-- Both tables are contentless (the text lives in messages) with
-- contentless_delete, so a message's row is deleted or replaced by rowid,
-- which is the message's id. A rowid must be written with INSERT OR
-- REPLACE when it may be there already: a plain INSERT would add a second
-- entry.
--
-- message_search_body: the folded text (textindex.Doc.Body) under the
-- trigram tokenizer, case-sensitive because it is folded already: a
-- phrase query of a form ("deploy") matches where the form is a substring.
CREATE VIRTUAL TABLE message_search_body USING fts5 (
    body, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1
);

-- message_search_tokens: the text's tokens shorter than three runes, the
-- only ones a query matches as tokens (each "t" and its UTF-8 in hex, as
-- textindex.EncodeToken writes it: one ASCII word whatever the script),
-- matched whole; no positions (detail = none) since a token is never part
-- of a phrase.
CREATE VIRTUAL TABLE message_search_tokens USING fts5 (
    tokens, tokenize = 'ascii', content = '', contentless_delete = 1, detail = none
);

-- The messages written before this migration are indexed by the store
-- (DB.IndexBacklog) after it, in short batches, from next_id up to
-- last_id: messages above last_id were written with their rows. A start
-- with the index switched off (SEARCH_INDEX=off) writes messages without
-- rows, so it sets next_id to 0 and last_id to the largest integer: the
-- next start with the index on walks every message again.
CREATE TABLE search_backlog (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    next_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL
);

INSERT INTO search_backlog (id, next_id, last_id) SELECT 1, 1, COALESCE(MAX(id), 0) FROM messages;
