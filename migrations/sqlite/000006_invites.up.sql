-- 000006: room invites (SQLite twin of postgres/000006).

-- An invite lets whoever holds its code join the room, private ones
-- included, until it expires or is revoked (its row deleted). It goes with
-- its room. The code is a random secret (128 bits).
CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- A room's invites (its list, the bound on live ones) start from the room.
CREATE INDEX invites_room_idx ON invites (room_id, created_at);
