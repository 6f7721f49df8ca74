-- 000002: files shared in rooms. The bytes live in the blob store under
-- blob_key; this table keeps what a listing and a download need. River's
-- own tables (river_job, …) are not here: the job queue creates and
-- migrates them itself, at the version of River the binary carries.

CREATE TABLE attachments (
    id               bigserial   PRIMARY KEY,
    -- A room's files go with the room, as its messages do.
    room_id          bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id          bigint      NOT NULL REFERENCES users (id),
    -- The sanitised display name (attachment.SanitizeFilename); never a
    -- path, and never used to find the bytes.
    filename         text        NOT NULL,
    -- Sniffed from the bytes at upload; what downloads are served as.
    content_type     text        NOT NULL,
    size             bigint      NOT NULL CHECK (size > 0),
    -- Random keys the application generates. UNIQUE: two rows sharing a
    -- blob would let one row's deletion or replacement change the other.
    blob_key         text        NOT NULL UNIQUE,
    -- Set when thumbnail_status becomes 'ready'; '' otherwise.
    thumbnail_key    text        NOT NULL DEFAULT '',
    thumbnail_status text        NOT NULL DEFAULT 'none'
        CHECK (thumbnail_status IN ('none', 'pending', 'ready', 'failed')),
    created_at       timestamptz NOT NULL
);

-- A room's file list (room_id = ? AND id < before ORDER BY id DESC LIMIT n)
-- is one range scan of this index, newest first, like message history.
CREATE INDEX attachments_room_id_idx ON attachments (room_id, id DESC);
