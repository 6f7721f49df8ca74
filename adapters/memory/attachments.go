package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.AttachmentStore = (*AttachmentStore)(nil)
	_ ports.JobQueue        = (*JobQueue)(nil)
)

// AttachmentStore keeps attachment rows in memory. Create enqueues the
// row's job on the given queue under the store's lock and keeps the row only
// if that succeeds: the in-memory form of "row and job in one transaction".
// Built by NewAttachments it does not know rooms or users, so it never
// answers NotFound for them (the application checks membership before it
// creates anything); built by Stores.Attachments it shares the stores'
// rooms, as the SQL tables do: a missing room is NotFound, and deleting a
// room deletes its rows.
type AttachmentStore struct {
	stores *Stores // nil: rooms unknown
	// mu is taken after stores.mu when both are held.
	mu    sync.Mutex
	jobs  ports.JobQueue
	rows  map[attachment.ID]attachment.Attachment
	sent  map[attachment.ID]message.ID // the message a file is in
	last  attachment.ID
	clock func() time.Time
}

// NewAttachments returns an empty store enqueueing jobs on q.
func NewAttachments(q ports.JobQueue) *AttachmentStore {
	return &AttachmentStore{jobs: q, rows: map[attachment.ID]attachment.Attachment{}, sent: map[attachment.ID]message.ID{}, clock: time.Now}
}

// Attachments returns an AttachmentStore over s's rooms enqueueing jobs on
// q: the one ports.RoomStore.Delete returns the blob keys of, whose rows
// messages carry as their files, and whose queue gets the purge jobs of
// deleted messages' files.
func (s *Stores) Attachments(q ports.JobQueue) *AttachmentStore {
	a := NewAttachments(q)
	a.stores = s
	s.mu.Lock()
	s.files = a
	s.mu.Unlock()
	return a
}

// deleteRoom removes a room's rows and returns their blob keys; the
// caller holds stores.mu.
func (s *AttachmentStore) deleteRoom(r room.ID) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for id, a := range s.rows {
		if a.RoomID != r {
			continue
		}
		keys = append(keys, blobKeys(a)...)
		delete(s.rows, id)
		delete(s.sent, id)
	}
	slices.Sort(keys)
	return keys
}

// blobKeys are the keys a's bytes are kept under.
func blobKeys(a attachment.Attachment) []string {
	if a.ThumbnailKey == "" {
		return []string{a.BlobKey}
	}
	return []string{a.BlobKey, a.ThumbnailKey}
}

// attachable reports whether every one of ids is a file of room r shared
// by u and in no message yet; the caller holds stores.mu.
func (s *AttachmentStore) attachable(ids []attachment.ID, r room.ID, u user.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		a, ok := s.rows[id]
		if _, sent := s.sent[id]; !ok || sent || a.RoomID != r || a.UserID != u {
			return false
		}
	}
	return true
}

// attach puts files ids in message m; the caller holds stores.mu and has
// checked them (attachable).
func (s *AttachmentStore) attach(ids []attachment.ID, m message.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.sent[id] = m
	}
}

// rowsOf returns the rows of ids, by id; the caller holds stores.mu.
func (s *AttachmentStore) rowsOf(ids []attachment.ID) []attachment.Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]attachment.Attachment, 0, len(ids))
	for _, id := range ids {
		if a, ok := s.rows[id]; ok {
			out = append(out, a)
		}
	}
	return out
}

// purge enqueues the purge job of files ids and, once it is enqueued,
// deletes their rows; the caller holds stores.mu.
func (s *AttachmentStore) purge(ctx context.Context, ids []attachment.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, id := range ids {
		keys = append(keys, blobKeys(s.rows[id])...)
	}
	if err := s.jobs.Enqueue(ctx, ports.Job{Kind: ports.JobPurge, BlobKeys: keys}); err != nil {
		return err
	}
	for _, id := range ids {
		delete(s.rows, id)
		delete(s.sent, id)
	}
	return nil
}

func errAttachmentNotFound() error { return errFileNotFound() }

// Create stores a and enqueues job (with its AttachmentID set) atomically.
func (s *AttachmentStore) Create(ctx context.Context, a attachment.Attachment, job *ports.Job) (attachment.Attachment, error) {
	if err := ctx.Err(); err != nil {
		return attachment.Attachment{}, err
	}
	if s.stores != nil { // the room must exist until the row is in
		s.stores.mu.Lock()
		defer s.stores.mu.Unlock()
		if _, ok := s.stores.rooms[a.RoomID]; !ok {
			return attachment.Attachment{}, errRoomNotFound()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.ID = s.last + 1
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.clock()
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	if job != nil {
		j := *job
		j.AttachmentID = a.ID
		if err := s.jobs.Enqueue(ctx, j); err != nil {
			return attachment.Attachment{}, err
		}
	}
	s.last = a.ID
	s.rows[a.ID] = a
	return a, nil
}

// ByID returns one attachment.
func (s *AttachmentStore) ByID(ctx context.Context, id attachment.ID) (attachment.Attachment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.rows[id]
	if !ok {
		return attachment.Attachment{}, errAttachmentNotFound()
	}
	return a, nil
}

// List returns a room's attachments with id < before, newest first.
func (s *AttachmentStore) List(ctx context.Context, r room.ID, before attachment.ID, limit int) ([]attachment.Attachment, error) {
	if limit <= 0 {
		return nil, domain.Errorf(domain.Invalid, "invalid_limit", "limit must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []attachment.Attachment
	for _, a := range s.rows {
		if a.RoomID == r && (before == 0 || a.ID < before) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b attachment.Attachment) int { return int(b.ID - a.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SetThumbnail records a thumbnail outcome.
func (s *AttachmentStore) SetThumbnail(ctx context.Context, id attachment.ID, key string, status attachment.ThumbnailStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.rows[id]
	if !ok {
		return errAttachmentNotFound()
	}
	a.ThumbnailKey, a.ThumbnailStatus = key, status
	s.rows[id] = a
	return nil
}

// JobQueue records enqueued jobs for a test or a caller to run by hand; it
// runs nothing itself. Fail makes the next Enqueue calls return err.
type JobQueue struct {
	mu   sync.Mutex
	jobs []ports.Job
	fail error
}

// Enqueue records j.
func (q *JobQueue) Enqueue(ctx context.Context, j ports.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	switch j.Kind {
	case ports.JobThumbnail, ports.JobAvatar, ports.JobPurge, ports.JobSend, ports.JobNotify, ports.JobPush:
	default:
		return domain.Errorf(domain.Invalid, "invalid_job", "unknown job kind %q", j.Kind)
	}
	q.jobs = append(q.jobs, j)
	return nil
}

// Fail makes Enqueue return err until Fail(nil).
func (q *JobQueue) Fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = err
}

// Take returns the jobs recorded since the last Take, oldest first.
func (q *JobQueue) Take() []ports.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.jobs
	q.jobs = nil
	return out
}
