-- Drops what 000004 created. Tombstones of deleted accounts stay as rows.
ALTER TABLE rooms DROP COLUMN rev;
ALTER TABLE users DROP COLUMN deleted_at;
DROP TABLE IF EXISTS sessions;
