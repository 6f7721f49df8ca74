package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

// MinSecretLen is the shortest HS256 secret accepted (256 bits).
const MinSecretLen = 32

// Tokens issues and verifies HS256 access tokens: sub = user id, iat, exp.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

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
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl, now: now}, nil
}

// Issue signs a token for u.
func (t *Tokens) Issue(_ context.Context, u user.ID) (string, time.Duration, error) {
	now := t.now()
	tok, err := jwt.NewBuilder().
		Subject(strconv.FormatInt(int64(u), 10)).
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
// algorithms fail), then exp and iat, then the subject.
func (t *Tokens) Verify(_ context.Context, s string) (user.Claims, error) {
	if len(s) > 4096 {
		return user.Claims{}, invalidToken(errors.New("token too long"))
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
	return user.Claims{UserID: user.ID(id), ExpiresAt: tok.Expiration().UTC()}, nil
}

func invalidToken(err error) error {
	return domain.Wrap(domain.Unauthenticated, "invalid_token", "invalid token", err)
}
