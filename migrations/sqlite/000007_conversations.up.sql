-- 000007: conversations around messages — edits and their versions,
-- deletes, reactions, replies, mentions, files in messages — direct
-- conversations and scheduled messages (SQLite twin of postgres/000007).
--
-- Every column added to an existing table is nullable or has a constant
-- default, so SQLite adds it without rewriting the table.

-- What sort of room (room.Kind: 0 a channel, 1 a direct conversation),
-- and how long after sending an author may edit (seconds; 0: always).
ALTER TABLE rooms ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN edit_window INTEGER NOT NULL DEFAULT 0;

-- A direct conversation's key (room.DirectKey: its people's sorted ids);
-- NULL for a channel. Opening a conversation inserts its room with ON
-- CONFLICT DO NOTHING on this index and then reads it, so concurrent opens
-- end in one room.
ALTER TABLE rooms ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX rooms_direct_key ON rooms (direct_key) WHERE direct_key IS NOT NULL;

-- last_seq now also counts the changes (every edit, delete and reaction
-- takes the room's next seq), so last_seq - last_read_seq no longer counts
-- the unread messages. msg_count counts the messages ever appended (bumped
-- with last_seq by each append) and messages.n is a message's ordinal
-- among its room's messages: unread = msg_count - the n of the newest
-- message at or before the pointer (one index probe) - the reader's own
-- messages after it. Before this migration every seq was a message's, so
-- an old row's n is its seq: it stays NULL there and is read as
-- COALESCE(n, seq).
ALTER TABLE rooms ADD COLUMN msg_count INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET msg_count = last_seq;
ALTER TABLE messages ADD COLUMN n INTEGER;

-- A message's current state: content is its text as last edited ('' once
-- deleted), edited_at when that was, deleted_at when it became a
-- tombstone.
ALTER TABLE messages ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN deleted_at TIMESTAMP;
-- The message a reply answers, always one of the same room (the store
-- checks it on insert). No foreign key: a message row is never deleted but
-- with its whole room, and the key's check on each of those deletes would
-- need an index of its own.
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
-- The ids of the members the text mentions, comma-separated ('' for none),
-- read with the message; the mentions table below counts them.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
-- Whether a history page must look up reactions and files for this
-- message: most messages have neither, and a page of such messages costs
-- no query beyond its own. has_reactions may stay true after the last
-- reaction went (one needless lookup), never false while there is one.
ALTER TABLE messages ADD COLUMN has_reactions BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN has_files BOOLEAN NOT NULL DEFAULT 0;

-- The changes of a room's messages, each with its seq in the room's stream
-- (the primary key: Entries replays seq > after_seq as one range scan).
-- kind is message.ChangeKind (1 edited, 2 deleted, 3 reaction added, 4
-- reaction removed). content: for an edit, the text it replaced — the
-- message's versions — erased when the message is deleted. emoji and
-- emoji_count: a reaction's emoji and how many had it after the change.
CREATE TABLE message_changes (
    room_id     INTEGER   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq         INTEGER   NOT NULL,
    kind        INTEGER   NOT NULL CHECK (kind BETWEEN 1 AND 4),
    message_id  INTEGER   NOT NULL,
    user_id     INTEGER   NOT NULL REFERENCES users (id),
    username    TEXT      NOT NULL,
    content     TEXT      NOT NULL DEFAULT '',
    emoji       TEXT      NOT NULL DEFAULT '',
    emoji_count INTEGER   NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;

-- A message's versions (and their erasure) start from the message.
CREATE INDEX message_changes_edits_idx ON message_changes (message_id, seq) WHERE kind = 1;

-- Who reacted with what. seq is the seq of the change that added the
-- reaction: reactions are listed in the order they were added. They go
-- with their message (the primary key serves the cascade).
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    seq        INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;

-- One row per member a message mentions (never its author), kept while
-- the message is not deleted: a member's count of mentions is a count of
-- rows after the read pointer, one range scan of the index below.
CREATE TABLE mentions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    room_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;

CREATE INDEX mentions_user_room_seq_idx ON mentions (user_id, room_id, seq);

-- The message a file was sent with; NULL while it is in none. A file is
-- attached once, by its uploader, in its room.
ALTER TABLE attachments ADD COLUMN message_id INTEGER;
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;

-- Messages waiting to be sent. Each row is inserted with its delivery job
-- in one transaction; the job sends the row as a message and deletes it.
-- They go with their room and their author.
CREATE TABLE scheduled_messages (
    id         INTEGER   PRIMARY KEY AUTOINCREMENT,
    room_id    INTEGER   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content    TEXT      NOT NULL,
    reply_to   INTEGER,
    send_at    TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- An author's list (by send_at) and the bound on pending ones.
CREATE INDEX scheduled_messages_user_idx ON scheduled_messages (user_id, send_at);
CREATE INDEX scheduled_messages_room_idx ON scheduled_messages (room_id);
