-- Drops what 000009 created: every role and suspension.
ALTER TABLE users DROP COLUMN suspend_reason;
ALTER TABLE users DROP COLUMN suspended_at;
ALTER TABLE users DROP COLUMN is_admin;
