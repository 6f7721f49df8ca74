package attachment

import (
	"context"
	"io"
	"net/url"
	"time"

	"chat/domain/room"
	"chat/domain/user"
)

// Download is a file opened for a driving adapter, which must close
// Content. Serve it with range support, Content-Type as given,
// X-Content-Type-Options: nosniff, and Content-Disposition: attachment
// unless Inline.
type Download struct {
	Content     io.ReadSeekCloser
	Size        int64
	ModTime     time.Time
	ContentType string
	Filename    string
	// Inline is true only for raster images the image processor accepted:
	// never HTML, SVG or anything a browser could run from our origin.
	Inline bool
}

// Service is what driving adapters may ask of files and avatars. Room files
// are for the room's members only; links made by FileURL, ThumbnailURL and
// AvatarURL authorise a download by themselves until they expire, for the
// user (viewer) they were made for, and a room file's link only while that
// user is a member of the file's room.
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
	// OpenSigned opens a file or its thumbnail for the holder of its link;
	// query is the request's query. Unauthenticated for a bad or expired
	// signature; NotFound when the link's user is no longer a member of
	// the file's room.
	OpenSigned(ctx context.Context, id ID, thumbnail bool, query url.Values) (Download, error)
	// FileURL and ThumbnailURL are a's links signed for viewer ("" when a
	// has no thumbnail yet).
	FileURL(a Attachment, viewer user.ID) string
	ThumbnailURL(a Attachment, viewer user.ID) string
	// UploadAvatar stores the actor's new avatar image; a background job
	// turns it into the avatar. Unsupported for a non-image.
	UploadAvatar(ctx context.Context, actor user.ID, body io.Reader, size int64) error
	// AvatarURL is u's avatar link signed for viewer, "" when u has none.
	AvatarURL(u user.User, viewer user.ID) string
	// OpenAvatar opens an avatar by its link /avatars/{u}/{name}?query.
	OpenAvatar(ctx context.Context, u user.ID, name string, query url.Values) (Download, error)
	// MaxUpload is the largest room file accepted, in bytes.
	MaxUpload() int64
}
