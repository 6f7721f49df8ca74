-- 000009: administrators and suspended accounts.

-- An administrator may act on any room, message or account through the
-- /admin routes and see the job dashboard. Granted on the command line
-- (chatd admin grant), never through the API.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;

-- A suspended account (suspended_at set) cannot sign in, and its sessions
-- were ended when it was suspended; suspend_reason says why, for the
-- administrators.
ALTER TABLE users ADD COLUMN suspended_at timestamptz;
ALTER TABLE users ADD COLUMN suspend_reason text NOT NULL DEFAULT '';
