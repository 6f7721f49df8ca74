-- 000002: files shared in rooms (SQLite twin of postgres/000002). The bytes
-- live in the blob store under blob_key; this table keeps what a listing and
-- a download need. River's own tables (river_job, …) are not here: the job
-- queue creates and migrates them itself, at the version of River the binary
-- carries.

CREATE TABLE attachments (
    id               INTEGER   PRIMARY KEY AUTOINCREMENT,
    -- A room's files go with the room, as its messages do.
    room_id          INTEGER   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id          INTEGER   NOT NULL REFERENCES users (id),
    -- The sanitised display name (attachment.SanitizeFilename); never a
    -- path, and never used to find the bytes.
    filename         TEXT      NOT NULL,
    -- Sniffed from the bytes at upload; what downloads are served as.
    content_type     TEXT      NOT NULL,
    size             INTEGER   NOT NULL CHECK (size > 0),
    -- Random keys the application generates. UNIQUE: two rows sharing a
    -- blob would let one row's deletion or replacement change the other.
    blob_key         TEXT      NOT NULL UNIQUE,
    -- Set when thumbnail_status becomes 'ready'; '' otherwise.
    thumbnail_key    TEXT      NOT NULL DEFAULT '',
    thumbnail_status TEXT      NOT NULL DEFAULT 'none'
        CHECK (thumbnail_status IN ('none', 'pending', 'ready', 'failed')),
    created_at       TIMESTAMP NOT NULL
);

-- A room's file list (room_id = ? AND id < before ORDER BY id DESC LIMIT n)
-- is one range scan of this index, newest first, like message history.
CREATE INDEX attachments_room_id_idx ON attachments (room_id, id DESC);
