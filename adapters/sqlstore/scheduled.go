package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.ScheduledStore = (*ScheduledStore)(nil)

// ScheduledStore implements ports.ScheduledStore on the scheduled_messages
// table, with each row's send job inserted in the row's transaction.
type ScheduledStore struct {
	db   *DB
	jobs JobInserter
}

// Scheduled returns the ports.ScheduledStore; its jobs are inserted with
// jobs (nil: Create refuses, as does an Update that moves SendAt).
func (db *DB) Scheduled(jobs JobInserter) *ScheduledStore {
	return &ScheduledStore{db: db, jobs: jobs}
}

const scheduledCols = `id, room_id, user_id, content, reply_to, send_at, created_at`

func scanScheduled(scan func(dest ...any) error) (message.Scheduled, error) {
	var (
		sc                 message.Scheduled
		id, roomID, userID int64
		replyTo            sql.NullInt64
		sendAt, createdAt  time.Time
	)
	if err := scan(&id, &roomID, &userID, &sc.Content, &replyTo, &sendAt, &createdAt); err != nil {
		return message.Scheduled{}, err
	}
	sc.ID, sc.RoomID, sc.UserID = message.ScheduledID(id), room.ID(roomID), user.ID(userID)
	sc.ReplyTo = message.ID(replyTo.Int64)
	sc.SendAt, sc.CreatedAt = sendAt.UTC(), createdAt.UTC()
	return sc, nil
}

func errScheduledNotFound() error {
	return domain.Errorf(domain.NotFound, "scheduled_not_found", "scheduled message not found")
}

// send inserts sc's delivery job in x's transaction.
func (s *ScheduledStore) send(x sqlq, sc message.Scheduled) error {
	j := ports.Job{Kind: ports.JobSend, Scheduled: sc.ID, RunAt: sc.SendAt}
	if s.jobs == nil {
		return domain.Errorf(domain.Internal, "", "scheduled store has no job inserter for a %s job", j.Kind)
	}
	if err := s.jobs.InsertTx(x.ctx, x.tx, j); err != nil {
		return fmt.Errorf("enqueue %s job of scheduled message %d: %w", j.Kind, sc.ID, err)
	}
	return nil
}

// Create locks the author's row (PostgreSQL), which serialises the
// author's creates, so the count of pending ones it checks holds until the
// commit.
func (s *ScheduledStore) Create(ctx context.Context, sc message.Scheduled, max int) (message.Scheduled, error) {
	sc.ID, sc.SendAt, sc.CreatedAt = 0, stamp(sc.SendAt), stamp(sc.CreatedAt)
	var replyTo *int64
	if sc.ReplyTo != 0 {
		id := int64(sc.ReplyTo)
		replyTo = &id
	}
	var jobErr error
	err := s.db.inTx(ctx, func(x sqlq) error {
		q := `SELECT id FROM users WHERE id = ? AND deleted_at IS NULL`
		if x.dialect == Postgres {
			q += ` FOR NO KEY UPDATE`
		}
		var id int64
		switch err := x.row(q, int64(sc.UserID)).Scan(&id); {
		case errors.Is(err, sql.ErrNoRows):
			return errUserNotFound(nil)
		case err != nil:
			return err
		}
		var pending int
		if err := x.row(`SELECT COUNT(*) FROM scheduled_messages WHERE user_id = ?`, int64(sc.UserID)).Scan(&pending); err != nil {
			return err
		}
		if pending >= max {
			return domain.Errorf(domain.Conflict, "too_many_scheduled", "at most %d messages may wait to be sent", max)
		}
		if err := x.row(`INSERT INTO scheduled_messages (room_id, user_id, content, reply_to, send_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, int64(sc.RoomID), int64(sc.UserID), sc.Content, replyTo, sc.SendAt, sc.CreatedAt).Scan(&id); err != nil {
			return err
		}
		sc.ID = message.ScheduledID(id)
		jobErr = s.send(x, sc)
		return jobErr
	})
	switch {
	case jobErr != nil:
		return message.Scheduled{}, jobErr
	case violationOf(err) == foreignKeyViolation:
		return message.Scheduled{}, errRoomNotFound(err)
	case err != nil:
		return message.Scheduled{}, outcome("schedule message", err)
	}
	return sc, nil
}

func (s *ScheduledStore) ByID(ctx context.Context, id message.ScheduledID) (message.Scheduled, error) {
	x, err := s.db.reader(ctx)
	if err != nil {
		return message.Scheduled{}, fail("read scheduled message", err)
	}
	sc, err := scanScheduled(x.row(`SELECT `+scheduledCols+` FROM scheduled_messages WHERE id = ?`, int64(id)).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return message.Scheduled{}, errScheduledNotFound()
	}
	return sc, fail("read scheduled message", err)
}

// List is a range scan of scheduled_messages_user_idx.
func (s *ScheduledStore) List(ctx context.Context, u user.ID) ([]message.Scheduled, error) {
	x, err := s.db.reader(ctx)
	if err != nil {
		return nil, fail("list scheduled messages", err)
	}
	rows, err := x.query(`SELECT `+scheduledCols+` FROM scheduled_messages WHERE user_id = ? ORDER BY send_at, id`, int64(u))
	if err != nil {
		return nil, fail("list scheduled messages", err)
	}
	defer rows.Close()
	out := []message.Scheduled{}
	for rows.Next() {
		sc, err := scanScheduled(rows.Scan)
		if err != nil {
			return nil, fail("list scheduled messages", err)
		}
		out = append(out, sc)
	}
	return out, fail("list scheduled messages", rows.Err())
}

// Update reads the row locked (FOR UPDATE on PostgreSQL), so a delivery
// that deletes it waits, and writes Content and SendAt back with a new
// job when SendAt moved.
func (s *ScheduledStore) Update(ctx context.Context, u user.ID, id message.ScheduledID, change func(*message.Scheduled) error) (message.Scheduled, error) {
	var (
		out               message.Scheduled
		changeErr, jobErr error
	)
	err := s.db.inTx(ctx, func(x sqlq) error {
		q := `SELECT ` + scheduledCols + ` FROM scheduled_messages WHERE id = ? AND user_id = ?`
		if x.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		cur, err := scanScheduled(x.row(q, int64(id), int64(u)).Scan)
		if errors.Is(err, sql.ErrNoRows) {
			return errScheduledNotFound()
		}
		if err != nil {
			return err
		}
		next := cur
		if changeErr = change(&next); changeErr != nil {
			return changeErr
		}
		out = cur
		out.Content, out.SendAt = next.Content, stamp(next.SendAt)
		if _, err := x.exec(`UPDATE scheduled_messages SET content = ?, send_at = ? WHERE id = ?`, out.Content, out.SendAt, int64(id)); err != nil {
			return err
		}
		if !out.SendAt.Equal(cur.SendAt) {
			jobErr = s.send(x, out)
		}
		return jobErr
	})
	switch {
	case changeErr != nil:
		return message.Scheduled{}, changeErr
	case jobErr != nil:
		return message.Scheduled{}, jobErr
	case err != nil:
		return message.Scheduled{}, outcome("update scheduled message", err)
	}
	return out, nil
}

func (s *ScheduledStore) Delete(ctx context.Context, u user.ID, id message.ScheduledID) (bool, error) {
	q, args := `DELETE FROM scheduled_messages WHERE id = ?`, []any{int64(id)}
	if u != 0 {
		q, args = q+` AND user_id = ?`, append(args, int64(u))
	}
	res := s.db.write.WithContext(ctx).Exec(q, args...)
	if res.Error != nil {
		return false, fail("delete scheduled message", res.Error)
	}
	return res.RowsAffected == 1, nil
}
