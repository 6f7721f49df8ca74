-- 000005: read pointers and read receipts.

-- Each member's read pointer: the seq of the last message of the room the
-- member has read. It lives on the membership row, so it starts at 0 when
-- the user joins and goes when the membership ends (a re-join starts over).
-- It only moves forward (UPDATE ... WHERE last_read_seq < new) and never
-- past rooms.last_seq.
ALTER TABLE room_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0;

-- Whether the user shows read receipts (the pointer) to other members.
-- Stored as the setting users see, true by default; the domain keeps it as
-- user.User.HideReceipts.
ALTER TABLE users ADD COLUMN read_receipts boolean NOT NULL DEFAULT true;

-- Unread = last_seq - last_read_seq - (the reader's own messages after the
-- pointer), as seqs are gap-free. This index makes that own count one
-- index-only range scan per room, however long the room's history, so the
-- room list of a user in hundreds of rooms stays one cheap query.
CREATE INDEX messages_room_user_seq_idx ON messages (room_id, user_id, seq);
