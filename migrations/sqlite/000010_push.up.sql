-- 000010: Web Push subscriptions and room mutes (SQLite twin of
-- postgres/000010).

-- Whether the member muted the room: a muted room sends the member no push
-- notifications. It lives on the membership row, so it goes when the
-- membership ends (a re-join starts unmuted).
ALTER TABLE room_members ADD COLUMN muted BOOLEAN NOT NULL DEFAULT 0;

-- One browser's Web Push subscription: the push service's endpoint and
-- the browser's keys (RFC 8291: p256dh, its P-256 public key; auth, its
-- 16-byte secret). An endpoint belongs to whoever subscribed it last, and
-- subscriptions go with their user's row.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     BLOB NOT NULL,
    auth       BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A user's subscriptions (the pushes of a message, the bound per user,
-- oldest first) start from the user.
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id, created_at, id);
