-- Drops what 000005 created: every read pointer and receipts setting.
DROP INDEX IF EXISTS messages_room_user_seq_idx;
ALTER TABLE users DROP COLUMN IF EXISTS read_receipts;
ALTER TABLE room_members DROP COLUMN IF EXISTS last_read_seq;
