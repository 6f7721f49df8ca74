package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"chat/domain"
	"chat/ports"
)

var _ ports.URLSigner = (*Signer)(nil)

// Signer signs download links with HMAC-SHA256 over the path and the expiry.
// Its key is derived from the server secret (HMAC(secret, "file-urls")), so
// a link's signature can never be replayed as a token signature or vice
// versa.
type Signer struct {
	key []byte
}

// NewSigner derives the link key from secret (the JWT secret).
func NewSigner(secret []byte) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("file-urls"))
	return &Signer{key: m.Sum(nil)}
}

func (s *Signer) mac(path, exp string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(path))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return m.Sum(nil)
}

// Sign returns path?exp=<unix seconds>&sig=<base64url HMAC>. path must not
// carry a query of its own.
func (s *Signer) Sign(path string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := base64.RawURLEncoding.EncodeToString(s.mac(path, exp))
	return path + "?exp=" + exp + "&sig=" + sig
}

var (
	errBadSignature = domain.Errorf(domain.Unauthenticated, "invalid_signature", "the link is not valid")
	errExpired      = domain.Errorf(domain.Unauthenticated, "signature_expired", "the link has expired")
)

// Verify checks the signature first (constant-time), then the expiry.
func (s *Signer) Verify(path string, query url.Values, now time.Time) error {
	exp, sig := query.Get("exp"), query.Get("sig")
	if exp == "" || sig == "" {
		return errBadSignature
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return errBadSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(path, exp)) {
		return errBadSignature
	}
	if !now.Before(time.Unix(unix, 0)) {
		return errExpired
	}
	return nil
}
