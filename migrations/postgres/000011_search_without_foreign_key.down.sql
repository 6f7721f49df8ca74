-- Back to 000008's foreign key; rows whose message is gone (none, if the
-- store kept them) are dropped first.
DELETE FROM message_search s WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = s.message_id);
ALTER TABLE message_search ADD CONSTRAINT message_search_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
