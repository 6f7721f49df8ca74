-- Drops what 000009 created: every role and suspension.
ALTER TABLE users DROP COLUMN IF EXISTS suspend_reason;
ALTER TABLE users DROP COLUMN IF EXISTS suspended_at;
ALTER TABLE users DROP COLUMN IF EXISTS is_admin;
