package application

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"strconv"
	"strings"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Limits and defaults of file handling.
const (
	DefaultMaxUpload = 25 << 20 // bytes, MAX_UPLOAD_BYTES
	MaxAvatarUpload  = 5 << 20  // bytes
	ThumbnailMax     = 400      // pixels, both sides
)

// Authorizer is the membership check Files needs; room.Service (the App's
// Rooms) satisfies it.
type Authorizer interface {
	Authorize(ctx context.Context, actor user.ID, id room.ID) error
}

// FileProcessor is what the job workers call. Errors of kind Invalid,
// NotFound or Unsupported are permanent (the worker cancels the job); any
// other error is retried.
type FileProcessor interface {
	ProcessThumbnail(ctx context.Context, id attachment.ID) error
	ProcessAvatar(ctx context.Context, u user.ID, key string) error
}

var (
	_ FileProcessor      = (*Files)(nil)
	_ attachment.Service = (*Files)(nil)
)

// FilesDeps are the ports Files is built from.
type FilesDeps struct {
	Rooms       Authorizer
	Users       ports.UserStore
	Cache       ports.ProfileCache
	Attachments ports.AttachmentStore
	Blobs       ports.BlobStore
	Images      ports.ImageProcessor
	Jobs        ports.JobQueue // avatar jobs; thumbnail jobs go through Attachments.Create
	Bus         ports.Bus
	// Reads lists a user's rooms, whose members hear of a new avatar; nil:
	// nobody is told (clients see it on their next read).
	Reads ports.ReadStore
	// DetectType sniffs the content type of a file's first bytes (at most
	// 512), as http.DetectContentType does; required.
	DetectType func(head []byte) string
	Clock      ports.Clock  // nil: the system clock
	Logger     *slog.Logger // nil: discard
	MaxUpload  int64        // 0: DefaultMaxUpload
	// Limiter counts uploads (files and avatars) per user under
	// Limits.Upload; nil limits nothing.
	Limiter ports.Limiter
	Limits  Limits
	// Linker, when the blob store has one, makes downloads links straight
	// to the store (Download.URL) instead of bytes through the server; nil:
	// the server serves them. LinkTTL is how long such a link works (0:
	// DefaultLinkTTL): only long enough to be followed, since the
	// membership behind it is checked when it is made, not when it is used.
	Linker  ports.BlobLinker
	LinkTTL time.Duration
}

// DefaultLinkTTL is how long a download link to the blob store works.
const DefaultLinkTTL = 5 * time.Minute

// downloadMaxAge is how long a browser may keep a downloaded file or
// thumbnail (private caches only).
const downloadMaxAge = 5 * time.Minute

// Files implements file sharing and avatars: uploads, listing, downloads
// (by membership or by signed link) and the background processing of
// thumbnails and avatars.
type Files struct {
	d   FilesDeps
	lim *limiter
}

// NewFiles builds the file use cases.
func NewFiles(d FilesDeps) *Files {
	if d.Clock == nil {
		d.Clock = systemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.MaxUpload <= 0 {
		d.MaxUpload = DefaultMaxUpload
	}
	if d.LinkTTL <= 0 {
		d.LinkTTL = DefaultLinkTTL
	}
	return &Files{d: d, lim: newLimiter(d.Limiter, d.Limits, d.Logger)}
}

// chargeUpload counts one upload of the actor, before any byte is read.
func (f *Files) chargeUpload(ctx context.Context, actor user.ID) error {
	return f.lim.take(ctx, userKey("upload", actor), f.lim.cfg.Upload, "uploads")
}

// MaxUpload is the largest room file accepted, in bytes.
func (f *Files) MaxUpload() int64 { return f.d.MaxUpload }

// Download is a file opened for a driving adapter (attachment.Download).
type Download = attachment.Download

var (
	errFileNotFound = domain.Errorf(domain.NotFound, "file_not_found", "file not found")
	errEmptyFile    = domain.Errorf(domain.Invalid, "empty_file", "file is empty")
)

// Upload stores a file shared in a room. The bytes go to the blob store
// under a random key first; then the row and, for images, its thumbnail job
// are created in one transaction. If the row cannot be created the blob is
// removed, so neither an orphan file nor a row without its file remains.
// After the commit the room gets a file_shared event.
//
// size is the client's declared length (negative when unknown); the bytes
// read are what count. The content type is sniffed from the bytes and kept
// only when allowlisted (safeContentType).
func (f *Files) Upload(ctx context.Context, actor user.ID, roomID room.ID, filename, declaredType string, r io.Reader, size int64) (attachment.Attachment, error) {
	if err := f.d.Rooms.Authorize(ctx, actor, roomID); err != nil {
		return attachment.Attachment{}, err
	}
	if err := f.chargeUpload(ctx, actor); err != nil {
		return attachment.Attachment{}, err
	}
	if size > f.d.MaxUpload {
		return attachment.Attachment{}, attachment.ValidateSize(size, f.d.MaxUpload)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return attachment.Attachment{}, fmt.Errorf("read upload: %w", err)
	}
	if n == 0 {
		return attachment.Attachment{}, errEmptyFile
	}
	head = head[:n]

	a := attachment.Attachment{
		RoomID: roomID, UserID: actor, Filename: attachment.SanitizeFilename(filename),
		ContentType:     safeContentType(f.d.DetectType(head), declaredType),
		ThumbnailStatus: attachment.ThumbnailNone,
	}
	body := io.MultiReader(bytes.NewReader(head), r)
	var job *ports.Job
	if strings.HasPrefix(a.ContentType, "image/") {
		// Images are probed whole; the thumbnail job loads them whole anyway.
		data, err := readAtMost(body, f.d.MaxUpload)
		if err != nil {
			return attachment.Attachment{}, err
		}
		body = bytes.NewReader(data)
		info, err := f.d.Images.Probe(ctx, data)
		switch {
		case err == nil:
			a.ContentType = "image/" + info.Format
			a.ThumbnailStatus = attachment.ThumbnailPending
			job = &ports.Job{Kind: ports.JobThumbnail}
		case domain.KindOf(err) == domain.Invalid:
			// Corrupt, truncated or a pixel bomb: shared as a plain file,
			// never previewed or shown inline.
			a.ThumbnailStatus = attachment.ThumbnailFailed
		case domain.KindOf(err) == domain.Unsupported:
			// An image format we do not process (BMP, ICO): a plain file.
		default:
			return attachment.Attachment{}, err
		}
	}

	a.BlobKey = "f/" + randomKey()
	a.Size, err = f.d.Blobs.Put(ctx, a.BlobKey, body, f.d.MaxUpload)
	if err != nil {
		return attachment.Attachment{}, err
	}
	a.CreatedAt = f.d.Clock.Now().UTC().Truncate(time.Microsecond)
	stored, err := f.d.Attachments.Create(ctx, a, job)
	if err != nil {
		f.deleteBlob(ctx, a.BlobKey)
		return attachment.Attachment{}, err
	}
	f.publish(ctx, fileSharedEvent(stored))
	return stored, nil
}

// readAtMost reads r whole, refusing more than max bytes.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > max {
		return nil, attachment.ValidateSize(int64(len(data)), max)
	}
	if len(data) == 0 {
		return nil, errEmptyFile
	}
	return data, nil
}

// safeContentType picks the stored type: a type is stored only when it is
// on an allowlist of types the server sniffs from the bytes (sniffedTypes)
// or knows by name and whose bytes sniff as their family (declaredTypes);
// anything else — HTML, XML, SVG, scripts, PDF, and every type nobody put
// on a list — is stored and served as application/octet-stream, always as
// an attachment. The client's type counts only where sniffing cannot tell
// (a .docx is a zip, a .csv is text), never to make bytes an image.
func safeContentType(sniffed, declared string) string {
	const octet = "application/octet-stream"
	media, params, err := mime.ParseMediaType(sniffed)
	if err != nil {
		return octet
	}
	if d, _, err := mime.ParseMediaType(declared); err == nil && declaredTypes[d] == media {
		media = d
	} else if !sniffedTypes[media] {
		return octet
	}
	if cs, ok := params["charset"]; ok && strings.HasPrefix(media, "text/") {
		return mime.FormatMediaType(media, map[string]string{"charset": cs})
	}
	return media
}

// sniffedTypes are the types DetectType (http.DetectContentType) reports
// that are stored as they are: plain text, raster images (those the image
// processor accepts are re-typed by their probe), audio, video, archives.
var sniffedTypes = map[string]bool{
	"text/plain": true,
	"image/png":  true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true, "image/x-icon": true,
	"audio/mpeg": true, "audio/wave": true, "audio/aiff": true, "audio/basic": true, "audio/midi": true, "application/ogg": true,
	"video/mp4": true, "video/webm": true, "video/avi": true,
	"application/zip": true, "application/x-gzip": true, "application/x-rar-compressed": true,
}

// declaredTypes are types sniffing cannot tell from their family, mapped
// to that family: a client's declared type from this list is stored when
// the bytes sniff as the family.
var declaredTypes = map[string]string{
	"text/csv":         "text/plain",
	"text/markdown":    "text/plain",
	"application/json": "text/plain",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "application/zip",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "application/zip",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "application/zip",
	"application/vnd.oasis.opendocument.text":                                   "application/zip",
	"application/vnd.oasis.opendocument.spreadsheet":                            "application/zip",
	"application/vnd.oasis.opendocument.presentation":                           "application/zip",
	"application/epub+zip":          "application/zip",
	"application/msword":            "application/octet-stream",
	"application/vnd.ms-excel":      "application/octet-stream",
	"application/vnd.ms-powerpoint": "application/octet-stream",
	"application/x-tar":             "application/octet-stream",
	"application/x-7z-compressed":   "application/octet-stream",
}

// randomKey returns "ab/<32 hex digits>": 128 random bits, the first byte
// also naming a directory so no directory grows too large.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	h := hex.EncodeToString(b[:])
	return h[:2] + "/" + h
}

// deleteBlob removes a blob that lost its row. A failure leaves an orphan
// file, never a row without its file; it is logged for the operator.
func (f *Files) deleteBlob(ctx context.Context, key string) {
	if err := f.d.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		f.d.Logger.WarnContext(ctx, "delete orphan blob", "key", key, "err", err)
	}
}

// List returns a room's files, newest first, with the messages' cursor:
// id < before (0: from the newest), limit 1–100, default 50.
func (f *Files) List(ctx context.Context, actor user.ID, roomID room.ID, before attachment.ID, limit int) ([]attachment.Attachment, error) {
	p, err := message.Page{Before: message.ID(before), Limit: limit}.Normalize()
	if err != nil {
		return nil, err
	}
	if err := f.d.Rooms.Authorize(ctx, actor, roomID); err != nil {
		return nil, err
	}
	return f.d.Attachments.List(ctx, roomID, before, p.Limit)
}

// Open opens a file, or its thumbnail, for a member of its room. Outsiders
// get the same answer as for a private room they cannot see.
func (f *Files) Open(ctx context.Context, actor user.ID, id attachment.ID, thumbnail bool) (Download, error) {
	a, err := f.d.Attachments.ByID(ctx, id)
	if err != nil {
		return Download{}, err
	}
	if err := f.d.Rooms.Authorize(ctx, actor, a.RoomID); err != nil {
		if k := domain.KindOf(err); k == domain.Forbidden || k == domain.NotFound {
			return Download{}, errFileNotFound
		}
		return Download{}, err
	}
	return f.open(ctx, a, thumbnail)
}

func (f *Files) open(ctx context.Context, a attachment.Attachment, thumbnail bool) (Download, error) {
	key, ctype := a.BlobKey, a.ContentType
	inline := a.ThumbnailStatus == attachment.ThumbnailPending || a.ThumbnailStatus == attachment.ThumbnailReady
	name := a.Filename
	if thumbnail {
		if a.ThumbnailStatus != attachment.ThumbnailReady {
			return Download{}, domain.Errorf(domain.NotFound, "thumbnail_not_found", "this file has no thumbnail")
		}
		key, ctype, inline = a.ThumbnailKey, imageType(a.ThumbnailKey), true
		name = "thumbnail-" + strconv.FormatInt(int64(a.ID), 10) + extension(a.ThumbnailKey)
	}
	return f.download(ctx, key, Download{ContentType: ctype, Filename: name, Inline: inline})
}

// download completes d with blob key: a link to the store when it makes
// them, else the opened blob.
func (f *Files) download(ctx context.Context, key string, d Download) (Download, error) {
	if f.d.Linker != nil {
		expires := f.d.Clock.Now().Add(f.d.LinkTTL)
		u, err := f.d.Linker.PresignGet(ctx, key, f.d.LinkTTL, ports.BlobHeaders{
			ContentType: d.ContentType, Filename: d.Filename, Inline: d.Inline, MaxAge: downloadMaxAge,
		})
		if err != nil {
			return Download{}, err
		}
		d.URL, d.Expires = u, expires
		return d, nil
	}
	rc, info, err := f.d.Blobs.Open(ctx, key)
	if err != nil {
		return Download{}, err
	}
	d.Content, d.Size, d.ModTime = rc, info.Size, info.ModTime
	return d, nil
}

// imageType is the content type of a processed image, by its key.
func imageType(key string) string {
	switch extension(key) {
	case ".webp":
		return "image/webp"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	}
	return "image/jpeg"
}

func extension(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 && !strings.Contains(key[i:], "/") {
		return key[i:]
	}
	return ""
}

func formatExtension(format string) string {
	if format == ports.ImageJPEG {
		return ".jpg"
	}
	return "." + format
}

// ProcessThumbnail makes an image attachment's thumbnail, records it and
// tells the room (file_updated). A permanently bad image is marked failed
// and its Invalid error returned, so the job ends instead of retrying.
// Running it again after success changes nothing.
func (f *Files) ProcessThumbnail(ctx context.Context, id attachment.ID) error {
	a, err := f.d.Attachments.ByID(ctx, id)
	if err != nil {
		return err
	}
	if a.ThumbnailStatus != attachment.ThumbnailPending {
		return nil // done before, or nothing to do
	}
	data, err := f.readBlob(ctx, a.BlobKey)
	if err != nil {
		if domain.KindOf(err) == domain.NotFound {
			return f.thumbnailFailed(ctx, a, err)
		}
		return err
	}
	out, info, err := f.d.Images.Thumbnail(ctx, data, ThumbnailMax, ThumbnailMax)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Invalid || k == domain.Unsupported {
			return f.thumbnailFailed(ctx, a, err)
		}
		return fmt.Errorf("thumbnail of file %d: %w", id, err)
	}
	// Derived from the file's key, so a retried job overwrites, not leaks.
	key := "t/" + strings.TrimPrefix(a.BlobKey, "f/") + formatExtension(info.Format)
	if _, err := f.d.Blobs.Put(ctx, key, bytes.NewReader(out), int64(len(out))); err != nil {
		return err
	}
	if err := f.d.Attachments.SetThumbnail(ctx, id, key, attachment.ThumbnailReady); err != nil {
		if domain.KindOf(err) == domain.NotFound {
			// The file went (its room was deleted) while the thumbnail was
			// made: nothing will ever point at it.
			f.deleteBlob(ctx, key)
		}
		return err
	}
	a.ThumbnailKey, a.ThumbnailStatus = key, attachment.ThumbnailReady
	f.publish(ctx, fileUpdatedEvent(a))
	return nil
}

// thumbnailFailed records a permanent failure and returns it as Invalid.
func (f *Files) thumbnailFailed(ctx context.Context, a attachment.Attachment, cause error) error {
	if err := f.d.Attachments.SetThumbnail(ctx, a.ID, "", attachment.ThumbnailFailed); err != nil {
		return err // retried: the status must not stay pending
	}
	a.ThumbnailKey, a.ThumbnailStatus = "", attachment.ThumbnailFailed
	f.publish(ctx, fileUpdatedEvent(a))
	return domain.Wrap(domain.Invalid, "thumbnail_failed", fmt.Sprintf("no thumbnail for file %d", a.ID), cause)
}

func (f *Files) readBlob(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := f.d.Blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, f.d.MaxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", key, err)
	}
	return data, nil
}

// UploadAvatar stores the caller's new avatar image and enqueues the job
// that turns it into the 256×256 avatar (the HTTP answer is 202). Non-images
// are Unsupported (415), corrupt images and pixel bombs Invalid.
func (f *Files) UploadAvatar(ctx context.Context, actor user.ID, r io.Reader, size int64) error {
	if err := f.chargeUpload(ctx, actor); err != nil {
		return err
	}
	if size > MaxAvatarUpload {
		return attachment.ValidateSize(size, MaxAvatarUpload)
	}
	data, err := readAtMost(r, MaxAvatarUpload)
	if err != nil {
		return err
	}
	if _, err := f.d.Images.Probe(ctx, data); err != nil {
		return err
	}
	key := "o/" + strconv.FormatInt(int64(actor), 10) + "/" + randomKey()[3:]
	if _, err := f.d.Blobs.Put(ctx, key, bytes.NewReader(data), MaxAvatarUpload); err != nil {
		return err
	}
	if err := f.d.Jobs.Enqueue(ctx, ports.Job{Kind: ports.JobAvatar, UserID: actor, BlobKey: key}); err != nil {
		f.deleteBlob(ctx, key)
		return err
	}
	return nil
}

// ProcessAvatar turns an uploaded original (key) into the user's avatar,
// points the profile at it, invalidates the cached profile and removes the
// original and the previous avatar. The avatar's key derives from the
// original's, so a retry overwrites instead of leaking files.
func (f *Files) ProcessAvatar(ctx context.Context, u user.ID, key string) error {
	prefix := "o/" + strconv.FormatInt(int64(u), 10) + "/"
	if !strings.HasPrefix(key, prefix) {
		return domain.Errorf(domain.Invalid, "invalid_job", "avatar original %q does not belong to user %d", key, u)
	}
	data, err := f.readBlob(ctx, key)
	if err != nil {
		return err // NotFound: processed before and cleaned up
	}
	out, info, err := f.d.Images.Avatar(ctx, data)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Invalid || k == domain.Unsupported {
			f.deleteBlob(ctx, key)
		}
		return err
	}
	avatarKey := "a/" + strings.TrimPrefix(key, "o/") + formatExtension(info.Format)
	if _, err := f.d.Blobs.Put(ctx, avatarKey, bytes.NewReader(out), int64(len(out))); err != nil {
		return err
	}
	usr, err := f.d.Users.ByID(ctx, u)
	if err != nil {
		if domain.KindOf(err) == domain.NotFound { // the account is gone
			f.deleteBlob(ctx, avatarKey)
			f.deleteBlob(ctx, key)
		}
		return err
	}
	old := usr.AvatarKey
	usr.AvatarKey = avatarKey
	if usr, err = f.d.Users.Update(ctx, usr); err != nil {
		return err
	}
	if err := f.d.Cache.Invalidate(ctx, u); err != nil {
		// The profile is stored; a stale cache entry expires by its TTL.
		f.d.Logger.WarnContext(ctx, "invalidate profile cache", "user_id", int64(u), "err", err)
	}
	announceProfile(ctx, f.d.Reads, f.d.Bus, f.d.Logger, usr)
	if old != "" && old != avatarKey {
		f.deleteBlob(ctx, old)
	}
	f.deleteBlob(ctx, key)
	return nil
}

// OpenAvatar opens avatar name of user owner for viewer, who holds a link
// to it (the driving adapter verified it): avatars are shown to anyone
// signed in, so no room is checked. The key is rebuilt from owner and name;
// a name that is not a key's gives the same answer as a missing avatar.
func (f *Files) OpenAvatar(ctx context.Context, viewer, owner user.ID, name string) (Download, error) {
	if viewer <= 0 {
		return Download{}, domain.Errorf(domain.Unauthenticated, "missing_token", "a bearer token or a signed link is required")
	}
	d, err := f.download(ctx, "a/"+strconv.FormatInt(int64(owner), 10)+"/"+name,
		Download{ContentType: imageType(name), Filename: "avatar" + extension(name), Inline: true})
	if domain.KindOf(err) == domain.Invalid {
		return Download{}, errFileNotFound
	}
	return d, err
}

// publish sends a file event after its data is stored (see publishOn):
// clients that miss it see the file when they list the room's files.
func (f *Files) publish(ctx context.Context, e ports.Event) {
	publishOn(ctx, f.d.Bus, f.d.Logger, e)
}
