-- Drops what 000007 created: every edit, version, reaction, mention,
-- reply, file's message, direct conversation key and scheduled message.
-- The seqs changes took stay taken: messages' seqs then have gaps, and
-- the unread counts of 000005 (last_seq - pointer - own) count them.
DROP TABLE IF EXISTS scheduled_messages;
DROP INDEX IF EXISTS attachments_message_idx;
ALTER TABLE attachments DROP COLUMN IF EXISTS message_id;
DROP TABLE IF EXISTS mentions;
DROP TABLE IF EXISTS reactions;
DROP TABLE IF EXISTS message_changes;
ALTER TABLE messages DROP COLUMN IF EXISTS has_files;
ALTER TABLE messages DROP COLUMN IF EXISTS has_reactions;
ALTER TABLE messages DROP COLUMN IF EXISTS mentions;
ALTER TABLE messages DROP COLUMN IF EXISTS reply_to;
ALTER TABLE messages DROP COLUMN IF EXISTS deleted_at;
ALTER TABLE messages DROP COLUMN IF EXISTS edited_at;
ALTER TABLE messages DROP COLUMN IF EXISTS n;
ALTER TABLE rooms DROP COLUMN IF EXISTS msg_count;
DROP INDEX IF EXISTS rooms_direct_key;
ALTER TABLE rooms DROP COLUMN IF EXISTS direct_key;
ALTER TABLE rooms DROP COLUMN IF EXISTS edit_window;
ALTER TABLE rooms DROP COLUMN IF EXISTS kind;
