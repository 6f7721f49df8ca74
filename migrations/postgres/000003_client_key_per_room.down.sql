-- Back to 000001's (user_id, client_id) key. Keys a sender reused in
-- several rooms keep only their oldest message's key, so the old index
-- can be built; the messages themselves stay.
UPDATE messages SET client_id = NULL
WHERE client_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM messages AS older
    WHERE older.user_id = messages.user_id AND older.client_id = messages.client_id AND older.id < messages.id
);

DROP INDEX IF EXISTS messages_user_room_client_key;

CREATE UNIQUE INDEX messages_user_client_key ON messages (user_id, client_id)
    WHERE client_id IS NOT NULL;
