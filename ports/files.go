package ports

import (
	"context"
	"io"
	"net/url"
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
)

// BlobStore keeps file bytes under keys the application generates (random,
// like "f/ab/abcdef….bin"); a client's file name never becomes a key.
// Adapters validate keys: only [a-z0-9/._-], no "..", no absolute or empty
// path → Invalid "invalid_key".
type BlobStore interface {
	// Put stores r's bytes under key atomically: readers see the whole
	// object or nothing, and a failed or over-size write leaves nothing.
	// More than maxBytes bytes → TooMany "file_too_large". An existing key
	// is replaced.
	Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (size int64, err error)
	// Open returns the object for reading; NotFound when absent. The caller
	// closes it.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, BlobInfo, error)
	// Delete removes the object; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// BlobLinker is what a BlobStore offers when clients can read its objects
// straight from the store (S3 and its kin): a short-lived URL signed by the
// store, so downloads do not pass through the server. Optional: a store
// without it has its bytes served by the server. The application decides
// who may follow a link (membership) before it asks for one.
type BlobLinker interface {
	// PresignGet returns an absolute URL that reads key's object for ttl,
	// answered with the headers h asks for. It does not look the object
	// up: following a link to an absent key is the store's 404. Invalid
	// "invalid_key" for a key the store would refuse.
	PresignGet(ctx context.Context, key string, ttl time.Duration, h BlobHeaders) (string, error)
}

// BlobHeaders are what the store answers a linked download with.
type BlobHeaders struct {
	ContentType string
	// Filename names the download (Content-Disposition); Inline lets the
	// browser show it (raster images) rather than save it.
	Filename string
	Inline   bool
	// MaxAge is how long a browser may keep the answer (private caches
	// only); zero: not at all.
	MaxAge time.Duration
}

// BlobInfo describes a stored object.
type BlobInfo struct {
	Size    int64
	ModTime time.Time
}

// MaxImagePixels is the largest image (width × height) an ImageProcessor
// decodes: a guard against decompression bombs, checked from the header.
const MaxImagePixels = 40_000_000

// Image formats an ImageProcessor accepts and reports.
const (
	ImageJPEG = "jpeg"
	ImagePNG  = "png"
	ImageWebP = "webp"
	ImageGIF  = "gif"
)

// ImageInfo describes an image.
type ImageInfo struct {
	Format        string // ImageJPEG, ImagePNG, ImageWebP or ImageGIF
	Width, Height int    // as stored, before any EXIF rotation
}

// ImageProcessor inspects and transforms raster images. Every method
// returns Unsupported "unsupported_image" for data that is not JPEG, PNG,
// WebP or GIF (SVG included), and Invalid "invalid_image" for a corrupt or
// truncated image or one of more than MaxImagePixels pixels — those are
// permanent: retrying cannot help.
type ImageProcessor interface {
	// Probe reads the format and dimensions from the header without
	// decoding the pixels.
	Probe(ctx context.Context, data []byte) (ImageInfo, error)
	// Avatar makes a 256×256 image (smart crop, enlarging small inputs),
	// rotated by its EXIF orientation, without metadata.
	Avatar(ctx context.Context, data []byte) ([]byte, ImageInfo, error)
	// Thumbnail fits the image within maxW×maxH keeping its aspect ratio,
	// never enlarging, rotated by its EXIF orientation, without metadata.
	Thumbnail(ctx context.Context, data []byte, maxW, maxH int) ([]byte, ImageInfo, error)
}

// Job kinds.
const (
	JobThumbnail = "thumbnail" // AttachmentID set
	JobAvatar    = "avatar"    // UserID and BlobKey (the uploaded original) set
	JobPurge     = "purge"     // BlobKeys set: delete them (a deleted message's files)
	JobSend      = "send"      // Scheduled and RunAt set: deliver a scheduled message
	JobNotify    = "notify"    // Room and Message set: push the message to its away recipients
	JobPush      = "push"      // Room, Message and Subscription set: send one push
)

// Job is background work the application asks for.
type Job struct {
	Kind         string
	AttachmentID attachment.ID
	UserID       user.ID
	BlobKey      string
	BlobKeys     []string
	Scheduled    message.ScheduledID
	RunAt        time.Time // zero: now
	Room         room.ID
	Message      message.ID
	Subscription push.SubscriptionID
}

// JobQueue enqueues jobs that have no row of their own to commit with.
type JobQueue interface {
	// Enqueue schedules j; Invalid for an unknown kind, Unavailable when the
	// queue cannot be reached.
	Enqueue(ctx context.Context, j Job) error
}

// AttachmentStore keeps the metadata of shared files.
type AttachmentStore interface {
	// Create inserts a (ID and CreatedAt assigned) and, when job is not
	// nil, enqueues it with its AttachmentID set to the new id — both in
	// one transaction, so no row exists without its job. NotFound when the
	// room or the user does not exist.
	Create(ctx context.Context, a attachment.Attachment, job *Job) (attachment.Attachment, error)
	// ByID returns an attachment; NotFound when absent.
	ByID(ctx context.Context, id attachment.ID) (attachment.Attachment, error)
	// List returns up to limit attachments of r with id < before (before 0:
	// no bound), newest first.
	List(ctx context.Context, r room.ID, before attachment.ID, limit int) ([]attachment.Attachment, error)
	// SetThumbnail records the outcome of thumbnail processing; key is
	// empty unless status is ThumbnailReady. NotFound when absent.
	SetThumbnail(ctx context.Context, id attachment.ID, key string, status attachment.ThumbnailStatus) error
}

// URLSigner makes short-lived links that authorise a download by
// themselves, so an <img src> works without a Bearer header. A link is
// bound to the user it was made for: the user's id is part of the signed
// data, and the application re-checks that user's access at download.
type URLSigner interface {
	// Sign returns path with "u" (the user), "exp" and "sig" query
	// parameters appended.
	Sign(path string, u user.ID, expires time.Time) string
	// Verify checks the u, exp and sig parameters of query for path and
	// returns the user the link was made for: Unauthenticated
	// "invalid_signature" when missing or wrong, Unauthenticated
	// "signature_expired" when exp is not after now.
	Verify(path string, query url.Values, now time.Time) (user.ID, error)
}
