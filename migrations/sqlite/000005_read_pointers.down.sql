-- Drops what 000005 created: every read pointer and receipts setting.
-- The index goes first: SQLite does not drop a column an index uses.
DROP INDEX IF EXISTS messages_room_user_seq_idx;
ALTER TABLE users DROP COLUMN read_receipts;
ALTER TABLE room_members DROP COLUMN last_read_seq;
