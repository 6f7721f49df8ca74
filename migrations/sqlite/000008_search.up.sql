-- 000008: the search index (issue 16; SQLite twin of postgres/000008).
-- What a search matches is adapters/textindex's one meaning: per term, any
-- of its forms; a form of three runes or more as a substring of the folded
-- text, a shorter one as a whole token. The store writes a message's row
-- here in the transaction that writes its text (append, edit), and removes
-- it in the one that deletes it (or its room); no trigger computes it,
-- because only Go knows the folding and the tokens.
--
-- FTS5 is compiled into go-sqlite3 only with the build tag sqlite_fts5
-- (make build and the Dockerfile pass it); without it this migration fails
-- with "no such module: fts5", and sqlstore.Open says so first.
--
-- One FTS5 table, rowid = the message's id, under the trigram tokenizer,
-- case-sensitive because its text is folded already. body is the folded
-- text (textindex.Doc.Body): a quoted form ("deploy") is a phrase of
-- trigrams, which matches exactly where the form is a substring. tokens
-- are the text's tokens shorter than three runes, the only ones a query
-- matches as tokens, each "t" and its UTF-8 in hex (textindex.EncodeToken:
-- one ASCII word whatever the script), separated and surrounded by
-- spaces: the phrase " t676f " matches exactly where "go" is a token. One
-- table rather than one per column: FTS5 writes a segment per table and
-- transaction, and a message sent alone pays that twice.
--
-- Contentless (the text lives in messages) with contentless_delete, so a
-- row is deleted or replaced by rowid. A rowid that may be there already
-- must be written with INSERT OR REPLACE: a plain INSERT would add a
-- second entry.
CREATE VIRTUAL TABLE message_search USING fts5 (
    body, tokens, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1
);

-- The messages written before this migration are indexed by the store
-- (DB.IndexBacklog) after it, in short batches, from next_id up to
-- last_id: messages above last_id were written with their rows. A start
-- with the index switched off (SEARCH_INDEX=off) writes messages without
-- rows, so it moves next_id to the first of them and last_id to the
-- largest integer: the next start with the index on walks them.
CREATE TABLE search_backlog (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    next_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL
);

INSERT INTO search_backlog (id, next_id, last_id) SELECT 1, 1, COALESCE(MAX(id), 0) FROM messages;
