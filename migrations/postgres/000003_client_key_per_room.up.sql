-- 000003: a client's idempotency key is scoped to the room it sent to.
-- 000001 made (user_id, client_id) unique, so a key reused in another room
-- answered with the first room's message and the second message was lost.
-- A retried send now finds its first copy by (sender, room, client_id);
-- the store refuses the same key with other content (client_id_reused).

DROP INDEX IF EXISTS messages_user_client_key;

CREATE UNIQUE INDEX messages_user_room_client_key ON messages (user_id, room_id, client_id)
    WHERE client_id IS NOT NULL;
