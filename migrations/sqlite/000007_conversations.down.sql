-- Drops what 000007 created: every edit, version, reaction, mention,
-- reply, file's message, direct conversation key and scheduled message.
-- The seqs changes took stay taken: messages' seqs then have gaps, and
-- the unread counts of 000005 (last_seq - pointer - own) count them.
-- Indexes go before their columns: SQLite does not drop a column an index
-- uses.
DROP TABLE IF EXISTS scheduled_messages;
DROP INDEX IF EXISTS attachments_message_idx;
ALTER TABLE attachments DROP COLUMN message_id;
DROP TABLE IF EXISTS mentions;
DROP TABLE IF EXISTS reactions;
DROP TABLE IF EXISTS message_changes;
ALTER TABLE messages DROP COLUMN has_files;
ALTER TABLE messages DROP COLUMN has_reactions;
ALTER TABLE messages DROP COLUMN mentions;
ALTER TABLE messages DROP COLUMN reply_to;
ALTER TABLE messages DROP COLUMN deleted_at;
ALTER TABLE messages DROP COLUMN edited_at;
ALTER TABLE messages DROP COLUMN n;
ALTER TABLE rooms DROP COLUMN msg_count;
DROP INDEX IF EXISTS rooms_direct_key;
ALTER TABLE rooms DROP COLUMN direct_key;
ALTER TABLE rooms DROP COLUMN edit_window;
ALTER TABLE rooms DROP COLUMN kind;
