package attachment

import (
	"context"
	"io"
	"time"

	"chat/domain/room"
	"chat/domain/user"
)

// Download is a file opened for a driving adapter, which must close
// Content. Serve it with range support, Content-Type as given,
// X-Content-Type-Options: nosniff, and Content-Disposition: attachment
// unless Inline.
//
// When the blob store serves downloads itself, URL is set instead of
// Content: a link straight to the store, working until Expires, that
// answers with the same Content-Type and Content-Disposition. Send the
// client there (a redirect); access was checked before the link was made.
type Download struct {
	Content     io.ReadSeekCloser
	Size        int64
	ModTime     time.Time
	ContentType string
	Filename    string
	// Inline is true only for raster images the image processor accepted:
	// never HTML, SVG or anything a browser could run from our origin.
	Inline  bool
	URL     string
	Expires time.Time
}

// Service is what driving adapters may ask of files and avatars. Room files
// are for the room's members only, however the actor was authenticated (a
// token, or a signed link the driving adapter verified and that names the
// user it was made for: such a link opens a room file only while that user
// is a member of the file's room).
type Service interface {
	// Upload stores a file shared in a room by a member and tells the room.
	// size is the declared length (negative: unknown). Empty → Invalid,
	// over MaxUpload → TooMany "file_too_large".
	Upload(ctx context.Context, actor user.ID, r room.ID, filename, declaredType string, body io.Reader, size int64) (Attachment, error)
	// List returns a room's files newest first: id < before (0: from the
	// newest), limit 1–100 (0: 50).
	List(ctx context.Context, actor user.ID, r room.ID, before ID, limit int) ([]Attachment, error)
	// Open opens a file or its thumbnail for a member of its room.
	Open(ctx context.Context, actor user.ID, id ID, thumbnail bool) (Download, error)
	// UploadAvatar stores the actor's new avatar image; a background job
	// turns it into the avatar. Unsupported for a non-image.
	UploadAvatar(ctx context.Context, actor user.ID, body io.Reader, size int64) error
	// OpenAvatar opens avatar name of user owner for viewer, who holds a
	// link to it (avatars are shown to anyone signed in). NotFound when
	// owner has no such avatar.
	OpenAvatar(ctx context.Context, viewer, owner user.ID, name string) (Download, error)
	// MaxUpload is the largest room file accepted, in bytes.
	MaxUpload() int64
}
