package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.AttachmentStore = (*AttachmentStore)(nil)

// JobInserter inserts a job inside the caller's transaction, so the job
// exists exactly when the transaction commits (River's InsertTx;
// chat/adapters/jobs.Queue implements it).
type JobInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, job ports.Job) error
}

// AttachmentStore implements ports.AttachmentStore on the attachments
// table, with each row's job inserted in the row's transaction.
type AttachmentStore struct {
	db   *DB
	jobs JobInserter
}

// Attachments returns the ports.AttachmentStore; Create inserts jobs with
// jobs (nil: Create refuses rows that need a job).
func (db *DB) Attachments(jobs JobInserter) *AttachmentStore {
	return &AttachmentStore{db: db, jobs: jobs}
}

// SQLDB returns the database/sql handle of the write pool. On SQLite that
// pool has a single connection: a job queue on the same file that writes
// through it queues behind the stores' writes in Go instead of competing
// for SQLite's one write lock (SQLITE_BUSY). Do not close it; Close does.
func (db *DB) SQLDB() (*sql.DB, error) {
	s, err := db.write.DB()
	if err != nil {
		return nil, fail("database handle", err)
	}
	return s, nil
}

type attachmentRow struct {
	ID              int64     `gorm:"column:id;primaryKey"`
	RoomID          int64     `gorm:"column:room_id"`
	UserID          int64     `gorm:"column:user_id"`
	Filename        string    `gorm:"column:filename"`
	ContentType     string    `gorm:"column:content_type"`
	Size            int64     `gorm:"column:size"`
	BlobKey         string    `gorm:"column:blob_key"`
	ThumbnailKey    string    `gorm:"column:thumbnail_key"`
	ThumbnailStatus string    `gorm:"column:thumbnail_status"`
	CreatedAt       time.Time `gorm:"column:created_at"`
}

func (attachmentRow) TableName() string { return "attachments" }

func toAttachmentRow(a attachment.Attachment) attachmentRow {
	status := a.ThumbnailStatus
	if status == "" {
		status = attachment.ThumbnailNone
	}
	return attachmentRow{
		ID: int64(a.ID), RoomID: int64(a.RoomID), UserID: int64(a.UserID), Filename: a.Filename,
		ContentType: a.ContentType, Size: a.Size, BlobKey: a.BlobKey, ThumbnailKey: a.ThumbnailKey,
		ThumbnailStatus: string(status), CreatedAt: stamp(a.CreatedAt),
	}
}

func (r attachmentRow) domain() attachment.Attachment {
	return attachment.Attachment{
		ID: attachment.ID(r.ID), RoomID: room.ID(r.RoomID), UserID: user.ID(r.UserID), Filename: r.Filename,
		ContentType: r.ContentType, Size: r.Size, BlobKey: r.BlobKey, ThumbnailKey: r.ThumbnailKey,
		ThumbnailStatus: attachment.ThumbnailStatus(r.ThumbnailStatus), CreatedAt: r.CreatedAt.UTC(),
	}
}

func errFileNotFound() error {
	return domain.Errorf(domain.NotFound, "file_not_found", "file not found")
}

// Create inserts the row and, when job is set, the job in the same
// transaction: if either fails both roll back, so no attachment is ever
// left without the job that processes it, and no job without its row.
func (s *AttachmentStore) Create(ctx context.Context, a attachment.Attachment, job *ports.Job) (attachment.Attachment, error) {
	row := toAttachmentRow(a)
	row.ID = 0
	var jobErr error
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if job == nil {
			return nil
		}
		jobErr = s.insertJob(ctx, tx, *job, attachment.ID(row.ID))
		return jobErr
	})
	switch {
	case jobErr != nil:
		return attachment.Attachment{}, jobErr
	case violationOf(err) == foreignKeyViolation:
		return attachment.Attachment{}, domain.Wrap(domain.NotFound, "room_not_found", "room or user not found", err)
	case err != nil:
		return attachment.Attachment{}, fail("create attachment", err)
	}
	return row.domain(), nil
}

func (s *AttachmentStore) insertJob(ctx context.Context, tx *gorm.DB, j ports.Job, id attachment.ID) error {
	if s.jobs == nil {
		return domain.Errorf(domain.Internal, "", "attachment store has no job inserter for a %s job", j.Kind)
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return domain.Errorf(domain.Internal, "", "gorm transaction is a %T, not a *sql.Tx", tx.Statement.ConnPool)
	}
	j.AttachmentID = id
	if err := s.jobs.InsertTx(ctx, sqlTx, j); err != nil {
		return fmt.Errorf("enqueue %s job of attachment %d: %w", j.Kind, id, err)
	}
	return nil
}

func (s *AttachmentStore) ByID(ctx context.Context, id attachment.ID) (attachment.Attachment, error) {
	var row attachmentRow
	err := s.db.read.WithContext(ctx).Where("id = ?", int64(id)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return attachment.Attachment{}, errFileNotFound()
	}
	if err != nil {
		return attachment.Attachment{}, fail("read attachment", err)
	}
	return row.domain(), nil
}

// List is one backward range scan of attachments_room_id_idx.
func (s *AttachmentStore) List(ctx context.Context, r room.ID, before attachment.ID, limit int) ([]attachment.Attachment, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	q := s.db.read.WithContext(ctx).Where("room_id = ?", int64(r))
	if before > 0 {
		q = q.Where("id < ?", int64(before))
	}
	var rows []attachmentRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fail("list attachments", err)
	}
	out := make([]attachment.Attachment, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, nil
}

// SetThumbnail bumps the rev of the file's room with the update: a file
// sent in a message shows in its room's history, whose cached newest page
// (hot.go) must not keep the old thumbnail. The room is locked before the
// file's row, as an append that attaches the file locks them, so the two
// never deadlock.
func (s *AttachmentStore) SetThumbnail(ctx context.Context, id attachment.ID, key string, status attachment.ThumbnailStatus) error {
	var updated int64
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE rooms SET rev = rev + 1 WHERE id = (SELECT room_id FROM attachments WHERE id = ?)`, int64(id)).Error; err != nil {
			return err
		}
		res := tx.Model(&attachmentRow{}).Where("id = ?", int64(id)).
			Updates(map[string]any{"thumbnail_key": key, "thumbnail_status": string(status)})
		updated = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fail("record thumbnail", err)
	}
	if updated == 0 {
		return errFileNotFound()
	}
	return nil
}
