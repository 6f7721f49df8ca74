-- 000010: Web Push subscriptions and room mutes.

-- Whether the member muted the room: a muted room sends the member no push
-- notifications. It lives on the membership row, so it goes when the
-- membership ends (a re-join starts unmuted).
ALTER TABLE room_members ADD COLUMN muted boolean NOT NULL DEFAULT false;

-- One browser's Web Push subscription: the push service's endpoint and
-- the browser's keys (RFC 8291: p256dh, its P-256 public key; auth, its
-- 16-byte secret). An endpoint belongs to whoever subscribed it last, and
-- subscriptions go with their user's row.
CREATE TABLE push_subscriptions (
    id         bigserial   PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   text        NOT NULL UNIQUE,
    p256dh     bytea       NOT NULL,
    auth       bytea       NOT NULL,
    created_at timestamptz NOT NULL
);

-- A user's subscriptions (the pushes of a message, the bound per user,
-- oldest first) start from the user.
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id, created_at, id);
