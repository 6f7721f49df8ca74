package wire

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"chat/domain/attachment"
	"chat/domain/user"
	"chat/ports"
)

// DefaultLinkTTL is how long a signed link lives by default.
const DefaultLinkTTL = time.Hour

// Links makes and checks the signed links of files, thumbnails and
// avatars: /files/{id}, /files/{id}/thumbnail and /avatars/{user}/{name},
// each with the query of a ports.URLSigner. A link is bound to the user
// it was made for; what that user may open is the application's decision
// (attachment.Service.Open), made again at download.
type Links struct {
	signer ports.URLSigner
	ttl    time.Duration
	now    func() time.Time
}

// NewLinks builds links signed by signer, living ttl (≤ 0:
// DefaultLinkTTL); now tells the time (nil: time.Now).
func NewLinks(signer ports.URLSigner, ttl time.Duration, now func() time.Time) *Links {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Links{signer: signer, ttl: ttl, now: now}
}

// FilePath is the unsigned path of a file, or of its thumbnail.
func FilePath(id attachment.ID, thumbnail bool) string {
	p := "/files/" + strconv.FormatInt(int64(id), 10)
	if thumbnail {
		p += "/thumbnail"
	}
	return p
}

// expiry rounds link lifetimes to windows of a quarter of the TTL, so every
// link to a file made in one window is the same URL and browsers cache it.
func (l *Links) expiry() time.Time {
	window := l.ttl / 4
	return l.now().Truncate(window).Add(l.ttl + window)
}

// File is the download link of file id signed for viewer; nil Links
// give the unsigned path (a server without file links: tests, tools).
func (l *Links) File(id attachment.ID, viewer user.ID) string {
	if l == nil {
		return FilePath(id, false)
	}
	return l.signer.Sign(FilePath(id, false), viewer, l.expiry())
}

// Thumbnail is the link of a's thumbnail signed for viewer, "" while it
// has none.
func (l *Links) Thumbnail(a attachment.Attachment, viewer user.ID) string {
	return l.thumbnail(a.ID, a.ThumbnailStatus, viewer)
}

func (l *Links) thumbnail(id attachment.ID, st attachment.ThumbnailStatus, viewer user.ID) string {
	switch {
	case st != attachment.ThumbnailReady:
		return ""
	case l == nil:
		return FilePath(id, true)
	}
	return l.signer.Sign(FilePath(id, true), viewer, l.expiry())
}

// Avatar is u's avatar link signed for viewer, "" when u has none. The
// path names the avatar's key: a/{user}/{name} is /avatars/{user}/{name}.
func (l *Links) Avatar(u user.User, viewer user.ID) string {
	if l == nil {
		return ""
	}
	rest, ok := strings.CutPrefix(u.AvatarKey, "a/")
	if !ok {
		return ""
	}
	return l.signer.Sign("/avatars/"+rest, viewer, l.expiry())
}

// VerifyFile checks a link to file id (or its thumbnail) with the
// request's query and returns the user it was made for: Unauthenticated
// "invalid_signature" or "signature_expired" otherwise.
func (l *Links) VerifyFile(id attachment.ID, thumbnail bool, query url.Values) (user.ID, error) {
	return l.signer.Verify(FilePath(id, thumbnail), query, l.now())
}

// VerifyAvatar checks a link to /avatars/{owner}/{name} and returns the
// user it was made for.
func (l *Links) VerifyAvatar(owner user.ID, name string, query url.Values) (user.ID, error) {
	return l.signer.Verify("/avatars/"+strconv.FormatInt(int64(owner), 10)+"/"+name, query, l.now())
}
