-- 000009: administrators and suspended accounts (SQLite twin of
-- postgres/000009).

-- An administrator may act on any room, message or account through the
-- /admin routes and see the job dashboard. Granted on the command line
-- (chatd admin grant), never through the API.
ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT 0;

-- A suspended account (suspended_at set) cannot sign in, and its sessions
-- were ended when it was suspended; suspend_reason says why, for the
-- administrators.
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE users ADD COLUMN suspend_reason TEXT NOT NULL DEFAULT '';
