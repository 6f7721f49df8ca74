package attachment

import (
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
)

// ID identifies an attachment.
type ID int64

// ThumbnailStatus tracks background processing.
type ThumbnailStatus string

const (
	ThumbnailNone    ThumbnailStatus = "none"    // not an image; nothing to do
	ThumbnailPending ThumbnailStatus = "pending" // a job will make it
	ThumbnailReady   ThumbnailStatus = "ready"
	ThumbnailFailed  ThumbnailStatus = "failed" // permanently: corrupt or too large
)

// FilenameMax is the longest display name kept, in runes.
const FilenameMax = 255

// Attachment is a file shared in a room.
type Attachment struct {
	ID              ID
	RoomID          room.ID
	UserID          user.ID
	Filename        string // sanitised display name, never a path
	ContentType     string
	Size            int64
	BlobKey         string // generated storage key
	ThumbnailKey    string
	ThumbnailStatus ThumbnailStatus
	CreatedAt       time.Time
}

// SanitizeFilename turns a client-supplied name into a safe display name:
// the base name only, at most FilenameMax runes, with control,
// bidirectional and zero-width characters stripped (domain.StripName) —
// a file's name comes from the uploader's disk and cannot be corrected
// by the person who sees it, so it is cleaned rather than refused:
// "\u202egnp.exe" becomes "gnp.exe", not something that shows as
// "exe.png".
func SanitizeFilename(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '"' {
			return -1
		}
		return r
	}, domain.StripName(name))
	name = strings.TrimSpace(strings.Trim(name, "."))
	if name == "" {
		name = "file"
	}
	if r := []rune(name); len(r) > FilenameMax {
		name = string(r[:FilenameMax])
	}
	return name
}

// ValidateSize rejects empty and over-size files.
func ValidateSize(size, max int64) error {
	if size <= 0 {
		return domain.Errorf(domain.Invalid, "empty_file", "file is empty")
	}
	if size > max {
		return domain.Errorf(domain.TooMany, "file_too_large", "file is larger than %d bytes", max)
	}
	return nil
}
