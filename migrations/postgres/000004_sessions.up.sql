-- 000004: sessions that end, and accounts that can be deleted.

-- One row per sign-in. An access token carries its session's id (the sid
-- claim) and is honoured only while the row exists: logout, logout
-- everywhere, a password change and account deletion delete rows. A user
-- row deleted by hand takes its sessions with it.
CREATE TABLE sessions (
    id         text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    -- The token's expiry: an expired row is removed at the user's next login.
    expires_at timestamptz NOT NULL
);

-- Logout everywhere and a login's clean-up start from the user.
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- A deleted account's row stays as a tombstone (its messages and files
-- still name it by id), with its name freed and its data erased; the
-- stores read only rows where deleted_at IS NULL.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;

-- Bumped when a room's stored messages change other than by an append
-- (an account deletion renames their author): the newest-page cache of
-- every instance checks it beside last_seq.
ALTER TABLE rooms ADD COLUMN rev bigint NOT NULL DEFAULT 0;
