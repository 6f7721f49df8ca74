package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"chat/domain"
)

// violation is the constraint a failed statement broke, whatever the driver.
type violation uint8

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

func violationOf(err error) violation {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
		return noViolation
	}
	var lite sqlite3.Error
	if errors.As(err, &lite) {
		switch lite.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return uniqueViolation
		case sqlite3.ErrConstraintForeignKey:
			return foreignKeyViolation
		}
	}
	return noViolation
}

// unavailable reports a database that cannot be reached or is too busy to
// answer now: worth a retry, not a bug.
func unavailable(err error) bool {
	var conn *pgconn.ConnectError
	var nerr net.Error
	switch {
	case errors.As(err, &conn), errors.As(err, &nerr), pgconn.Timeout(err),
		errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		// The server went away or stopped answering (see stallConn).
		return true
	}
	var lite sqlite3.Error
	return errors.As(err, &lite) && (lite.Code == sqlite3.ErrBusy || lite.Code == sqlite3.ErrLocked)
}

// fail translates an error the caller had no more specific meaning for.
// context.Canceled passes through (wrapped), so callers still see it; a
// database that cannot be reached or did not answer within a deadline is
// Unavailable; constraint violations become Conflict and NotFound.
func fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	case unavailable(err), errors.Is(err, context.DeadlineExceeded):
		// A deadline passed waiting for the database: too slow to answer
		// now is unavailable, whoever's deadline it was.
		return domain.Wrap(domain.Unavailable, "", op+": database unavailable", err)
	}
	switch violationOf(err) {
	case uniqueViolation:
		return domain.Wrap(domain.Conflict, "", op+": already exists", err)
	case foreignKeyViolation:
		return domain.Wrap(domain.NotFound, "", op+": a referenced row does not exist", err)
	}
	return domain.Wrap(domain.Internal, "", op, err)
}

func errUserNotFound(err error) error {
	return domain.Wrap(domain.NotFound, "user_not_found", "user not found", err)
}

func errRoomNotFound(err error) error {
	return domain.Wrap(domain.NotFound, "room_not_found", "room not found", err)
}

// errClientIDReused refuses a client key that names another message: the
// sender used it in this room for other content.
func errClientIDReused() error {
	return domain.Errorf(domain.Conflict, "client_id_reused", "client_id was already used for another message in this room")
}

// errOwnerMember refuses to remove a room's owner from its members.
func errOwnerMember() error {
	return domain.Errorf(domain.Conflict, "owner_must_hand_over", "the room's owner must hand it over first")
}

// errNotAMember answers a read pointer's move for a user who is not a
// member of the room (or a room that does not exist).
func errNotAMember() error {
	return domain.Errorf(domain.NotFound, "not_a_member", "not a member of this room")
}
