-- Back to 000008's FTS5 table, with positions; the backlog indexes every
-- message again, in 000008's encoding (the code before 000011 does: this
-- code would not find its short tokens).
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5 (
    body, tokens, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1
);
UPDATE search_backlog SET next_id = 1, last_id = MAX(last_id, (SELECT COALESCE(MAX(id), 0) FROM messages));
