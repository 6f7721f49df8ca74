-- 000001: accounts, rooms, membership and messages.
-- Later features add their own numbered files (000002 for files and
-- attachments); never edit a migration that has shipped.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    -- Stored already folded to lower case by the domain (user.NewUsername),
    -- so a plain UNIQUE constraint makes names unique case-insensitively and
    -- login looks a name up through the same index. COLLATE "C" orders by
    -- bytes, as SQLite and the memory store do: member lists sort the same
    -- everywhere, and the index compares faster than with a locale.
    username      text        COLLATE "C" NOT NULL UNIQUE,
    email         text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL,
    display_name  text        NOT NULL DEFAULT '',
    bio           text        NOT NULL DEFAULT '',
    avatar_key    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
);

CREATE TABLE rooms (
    id          bigserial PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    is_private  boolean     NOT NULL DEFAULT false,
    owner_id    bigint      NOT NULL REFERENCES users (id),
    -- The last seq handed out in this room. Appending a message bumps it with
    -- UPDATE ... RETURNING in the insert's transaction: the row lock
    -- serialises writers of one room only, so seqs are unique and gap-free
    -- (a rolled-back append rolls its bump back too).
    last_seq    bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL
);

-- The room list asks for "public rooms" on every GET /rooms; the private
-- ones come from room_members. A partial index keeps only the public rows.
CREATE INDEX rooms_public_idx ON rooms (id) WHERE NOT is_private;

CREATE TABLE room_members (
    -- The primary key (room_id, user_id) is what every authorization check
    -- reads (one index lookup) and what makes joining idempotent.
    room_id   bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- "My rooms" (the private part of the room list) starts from the user; the
-- primary key cannot serve it because room_id leads.
CREATE INDEX room_members_user_idx ON room_members (user_id);

CREATE TABLE messages (
    id         bigserial   PRIMARY KEY,
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    user_id    bigint      NOT NULL REFERENCES users (id),
    -- Denormalised: usernames never change, and history pages are read far
    -- more often than written, so no join with users per page.
    username   text        NOT NULL,
    content    text        NOT NULL,
    -- The sender's idempotency key; NULL when the client sent none.
    client_id  text,
    created_at timestamptz NOT NULL,
    -- A message is identified within its room by seq. The constraint's
    -- index also serves catch-up (seq > after_seq ORDER BY seq) as one
    -- range scan.
    CONSTRAINT messages_room_seq_key UNIQUE (room_id, seq)
);

-- History pages (id < before ORDER BY id DESC LIMIT n) are one backward
-- range scan of this index, however long the room's history is.
CREATE INDEX messages_room_id_idx ON messages (room_id, id);

-- A retried send finds its first copy: (sender, client_id) is unique where
-- the client gave a key. Partial, because most rows may carry none.
CREATE UNIQUE INDEX messages_user_client_key ON messages (user_id, client_id)
    WHERE client_id IS NOT NULL;
