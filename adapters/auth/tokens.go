package auth

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

// MinSecretLen is the shortest HS256 secret accepted (256 bits).
const MinSecretLen = 32

// Tokens issues and verifies HS256 access tokens: sub = user id, sid = the
// session, iat, exp. A token without sid (issued before sessions existed)
// is refused: it could never be revoked.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time

	// verified remembers tokens whose signature checked out, so a client
	// sending the same token with every request pays for parsing and the
	// HMAC once. A hit is used only while now is before its exp; the key is
	// the whole token, so only a byte-identical token can hit.
	mu       sync.RWMutex
	verified map[string]user.Claims
}

// verifiedMax bounds the cache of verified tokens (~300 B each).
const verifiedMax = 8192

var _ ports.TokenIssuer = (*Tokens)(nil)

// NewTokens returns an issuer. now may be nil (time.Now).
func NewTokens(secret []byte, ttl time.Duration, now func() time.Time) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("JWT secret must be at least 32 bytes")
	}
	if ttl <= 0 {
		return nil, errors.New("token lifetime must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl, now: now, verified: make(map[string]user.Claims)}, nil
}

// sidClaim names the session a token belongs to.
const sidClaim = "sid"

// Issue signs a token for u in session.
func (t *Tokens) Issue(_ context.Context, u user.ID, session string) (string, time.Duration, error) {
	if session == "" {
		return "", 0, domain.Errorf(domain.Internal, "", "issue token: no session")
	}
	now := t.now()
	tok, err := jwt.NewBuilder().
		Subject(strconv.FormatInt(int64(u), 10)).
		Claim(sidClaim, session).
		IssuedAt(now).
		Expiration(now.Add(t.ttl)).
		Build()
	if err != nil {
		return "", 0, domain.Wrap(domain.Internal, "", "build token", err)
	}
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, t.secret))
	if err != nil {
		return "", 0, domain.Wrap(domain.Internal, "", "sign token", err)
	}
	return string(b), t.ttl, nil
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// Verify checks the signature with HS256 only (so "alg: none" and other
// algorithms fail), then exp and iat, then the subject and the session.
func (t *Tokens) Verify(_ context.Context, s string) (user.Claims, error) {
	if len(s) > 4096 {
		return user.Claims{}, invalidToken(errors.New("token too long"))
	}
	t.mu.RLock()
	c, ok := t.verified[s]
	t.mu.RUnlock()
	if ok && t.now().Before(c.ExpiresAt) {
		return c, nil
	}
	tok, err := jwt.ParseString(s,
		jwt.WithKey(jwa.HS256, t.secret),
		jwt.WithValidate(true),
		jwt.WithClock(clockFunc(t.now)),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("sub"),
	)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired()) {
			return user.Claims{}, domain.Wrap(domain.Unauthenticated, "token_expired", "token expired", err)
		}
		return user.Claims{}, invalidToken(err)
	}
	id, err := strconv.ParseInt(tok.Subject(), 10, 64)
	if err != nil || id <= 0 {
		return user.Claims{}, invalidToken(errors.New("bad subject"))
	}
	v, _ := tok.Get(sidClaim)
	sid, _ := v.(string)
	if sid == "" || len(sid) > 128 {
		return user.Claims{}, invalidToken(errors.New("no session"))
	}
	c = user.Claims{UserID: user.ID(id), SessionID: sid, ExpiresAt: tok.Expiration().UTC()}
	t.remember(s, c)
	return c, nil
}

// remember caches a verified token, first dropping expired entries (or,
// when none expired, arbitrary ones) once the cache is full.
func (t *Tokens) remember(s string, c user.Claims) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.verified) >= verifiedMax {
		now := t.now()
		for k, v := range t.verified {
			if !now.Before(v.ExpiresAt) {
				delete(t.verified, k)
			}
		}
		for k := range t.verified {
			if len(t.verified) < verifiedMax*3/4 {
				break
			}
			delete(t.verified, k)
		}
	}
	t.verified[s] = c
}

func invalidToken(err error) error {
	return domain.Wrap(domain.Unauthenticated, "invalid_token", "invalid token", err)
}
