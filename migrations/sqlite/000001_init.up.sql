-- 000001: accounts, rooms, membership and messages (SQLite twin of
-- postgres/000001). Later features add their own numbered files (000002 for
-- files and attachments); never edit a migration that has shipped.
--
-- INTEGER PRIMARY KEY AUTOINCREMENT is SQLite's rowid alias that never
-- reuses an id, like bigserial: ids are cursors (before=ID) and must only grow. Times are "timestamp" columns, which go-sqlite3 writes as
-- text and reads back as time.Time; the adapter always writes UTC so text
-- order is time order. Foreign keys need PRAGMA foreign_keys=ON, which the
-- adapter sets on every connection.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Stored already folded to lower case by the domain (user.NewUsername),
    -- so a plain UNIQUE constraint makes names unique case-insensitively and
    -- login looks a name up through the same index.
    username      TEXT      NOT NULL UNIQUE,
    email         TEXT      NOT NULL DEFAULT '',
    password_hash TEXT      NOT NULL,
    display_name  TEXT      NOT NULL DEFAULT '',
    bio           TEXT      NOT NULL DEFAULT '',
    avatar_key    TEXT      NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT      NOT NULL,
    description TEXT      NOT NULL DEFAULT '',
    is_private  BOOLEAN   NOT NULL DEFAULT 0,
    owner_id    INTEGER   NOT NULL REFERENCES users (id),
    -- The last seq handed out in this room, bumped with UPDATE ... RETURNING
    -- in the append's transaction (SQLite has one writer at a time), so seqs
    -- are unique and gap-free.
    last_seq    INTEGER   NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL
);

-- The room list asks for "public rooms" on every GET /rooms; the private
-- ones come from room_members. A partial index keeps only the public rows.
CREATE INDEX rooms_public_idx ON rooms (id) WHERE NOT is_private;

CREATE TABLE room_members (
    -- The primary key (room_id, user_id) is what every authorization check
    -- reads (one index lookup) and what makes joining idempotent.
    room_id   INTEGER   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- "My rooms" (the private part of the room list) starts from the user; the
-- primary key cannot serve it because room_id leads.
CREATE INDEX room_members_user_idx ON room_members (user_id);

CREATE TABLE messages (
    id         INTEGER   PRIMARY KEY AUTOINCREMENT,
    room_id    INTEGER   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER   NOT NULL,
    user_id    INTEGER   NOT NULL REFERENCES users (id),
    -- Denormalised: usernames never change, and history pages are read far
    -- more often than written, so no join with users per page.
    username   TEXT      NOT NULL,
    content    TEXT      NOT NULL,
    -- The sender's idempotency key; NULL when the client sent none.
    client_id  TEXT,
    created_at TIMESTAMP NOT NULL,
    -- A message is identified within its room by seq. The constraint's
    -- index also serves catch-up (seq > after_seq ORDER BY seq) as one
    -- range scan.
    UNIQUE (room_id, seq)
);

-- History pages (id < before ORDER BY id DESC LIMIT n) are one backward
-- range scan of this index, however long the room's history is.
CREATE INDEX messages_room_id_idx ON messages (room_id, id);

-- A retried send finds its first copy: (sender, client_id) is unique where
-- the client gave a key. Partial, because most rows may carry none.
CREATE UNIQUE INDEX messages_user_client_key ON messages (user_id, client_id)
    WHERE client_id IS NOT NULL;
