package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.URLSigner = (*Signer)(nil)

// Signer signs download links with HMAC-SHA256 over the path, the user the
// link was made for and the expiry. Its key is derived from the server
// secret (HMAC(secret, "file-urls")), so a link's signature can never be
// replayed as a token signature or vice versa. Binding the user means a
// link stops working when that user loses access, and one user's link
// cannot be turned into another's.
type Signer struct {
	key []byte
}

// NewSigner derives the link key from secret (the JWT secret).
func NewSigner(secret []byte) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("file-urls"))
	return &Signer{key: m.Sum(nil)}
}

// mac covers the three signed values, each ended by a NUL so no value can
// spill into the next ("1" + "23" differs from "12" + "3").
func (s *Signer) mac(path, uid, exp string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, v := range []string{path, uid, exp} {
		m.Write([]byte(v))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// Sign returns path?u=<user id>&exp=<unix seconds>&sig=<base64url HMAC>.
// path must not carry a query of its own.
func (s *Signer) Sign(path string, u user.ID, expires time.Time) string {
	uid := strconv.FormatInt(int64(u), 10)
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := base64.RawURLEncoding.EncodeToString(s.mac(path, uid, exp))
	return path + "?u=" + uid + "&exp=" + exp + "&sig=" + sig
}

var (
	errBadSignature = domain.Errorf(domain.Unauthenticated, "invalid_signature", "the link is not valid")
	errExpired      = domain.Errorf(domain.Unauthenticated, "signature_expired", "the link has expired")
)

// Verify checks the signature first (constant-time), then the expiry, and
// returns the user the link was made for.
func (s *Signer) Verify(path string, query url.Values, now time.Time) (user.ID, error) {
	uid, exp, sig := query.Get("u"), query.Get("exp"), query.Get("sig")
	if uid == "" || exp == "" || sig == "" {
		return 0, errBadSignature
	}
	id, err := strconv.ParseInt(uid, 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadSignature
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return 0, errBadSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(path, uid, exp)) {
		return 0, errBadSignature
	}
	if !now.Before(time.Unix(unix, 0)) {
		return 0, errExpired
	}
	return user.ID(id), nil
}
