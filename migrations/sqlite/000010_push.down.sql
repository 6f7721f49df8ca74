-- Drops what 000010 created: every push subscription and room mute.
DROP TABLE IF EXISTS push_subscriptions;
ALTER TABLE room_members DROP COLUMN muted;
