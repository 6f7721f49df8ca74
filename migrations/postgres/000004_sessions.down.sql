-- Drops what 000004 created. Tombstones of deleted accounts stay as rows.
ALTER TABLE rooms DROP COLUMN IF EXISTS rev;
ALTER TABLE users DROP COLUMN IF EXISTS deleted_at;
DROP TABLE IF EXISTS sessions;
