package application

import (
	"context"
	"errors"
	"fmt"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

// Users implements user.Service.
type Users struct {
	d Deps
	// dummyHash is compared against when a login names no existing user, so
	// the answer takes as long as for a wrong password (no user probing).
	dummyHash string
	lim       *limiter
	passwords *hashGate // d.Passwords, at most Limits.Hashes at once
}

var _ user.Service = (*Users)(nil)

// newUsers fails when it cannot hash the dummy password: without it, a
// login naming no user would answer faster than one with a wrong password,
// and tell which usernames exist.
func newUsers(d Deps, lim *limiter) (*Users, error) {
	h, err := d.Passwords.Hash("timing-equaliser-password")
	if err != nil {
		return nil, fmt.Errorf("prepare the login timing guard: hash the dummy password: %w", err)
	}
	return &Users{d: d, dummyHash: h, lim: lim, passwords: newHashGate(d.Passwords, d.Limits)}, nil
}

// Register creates an account.
func (s *Users) Register(ctx context.Context, r user.Registration) (user.User, error) {
	name, err := user.NewUsername(r.Username)
	if err != nil {
		return user.User{}, err
	}
	if err := user.ValidatePassword(r.Password); err != nil {
		return user.User{}, err
	}
	// Charged only for input that gets this far: a typo costs nothing.
	if err := s.lim.take(ctx, addrKey(ctx, "register"), s.lim.cfg.Register, "registrations from this address"); err != nil {
		return user.User{}, err
	}
	hash, err := s.passwords.Hash(ctx, r.Password)
	if err != nil {
		return user.User{}, err
	}
	u, err := user.New(name, r.Email, s.d.Clock.Now())
	if err != nil {
		return user.User{}, err
	}
	u, err = s.d.Users.Create(ctx, u, hash)
	if err != nil {
		if domain.KindOf(err) == domain.Conflict {
			return user.User{}, domain.Errorf(domain.Conflict, "username_taken", "username %q is taken", name.String())
		}
		return user.User{}, err
	}
	return u, nil
}

var errBadCredentials = domain.Errorf(domain.Unauthenticated, "invalid_credentials", "incorrect username or password")

// Login checks credentials and issues a token. Before any hashing it
// charges the client address's login rate and checks the backoff of the
// (username, address) pair and of the username; a failure counts against
// both, whether the user exists or not, so the answers do not tell.
func (s *Users) Login(ctx context.Context, username, password string) (user.Token, error) {
	if err := s.lim.take(ctx, addrKey(ctx, "login"), s.lim.cfg.Login, "login attempts from this address"); err != nil {
		return user.Token{}, err
	}
	name, nameErr := user.NewUsername(username)
	if nameErr != nil {
		// No account can have this name: nothing to guard, but the answer
		// costs what a wrong password costs.
		if _, err := s.passwords.Compare(ctx, password, s.dummyHash); err != nil && domain.KindOf(err) != domain.Internal {
			return user.Token{}, err
		}
		return user.Token{}, errBadCredentials
	}
	guard := s.lim.loginGuard(name.String(), domain.ClientAddrOf(ctx).Key())
	if err := guard.check(ctx); err != nil {
		return user.Token{}, err
	}
	c, err := s.d.Accounts.Credentials(ctx, name)
	switch {
	case domain.KindOf(err) == domain.NotFound:
		c = user.Credentials{Hash: s.dummyHash}
	case err != nil:
		return user.Token{}, err
	}
	ok, err := s.passwords.Compare(ctx, password, c.Hash)
	if err != nil {
		return user.Token{}, err
	}
	if !ok || c.UserID == 0 {
		guard.failed(ctx)
		return user.Token{}, errBadCredentials
	}
	guard.succeeded(ctx)
	// Told only to who knows the password: a guess learns nothing of it.
	u, err := s.d.Users.ByID(ctx, c.UserID)
	if err != nil {
		return user.Token{}, err
	}
	if u.Suspended() {
		return user.Token{}, errSuspended
	}
	return s.startSession(ctx, c.UserID)
}

// Authenticate verifies a token, that its session lasts (sessions.go) and
// that its user still exists.
func (s *Users) Authenticate(ctx context.Context, token string) (user.Claims, error) {
	if token == "" {
		return user.Claims{}, domain.Errorf(domain.Unauthenticated, "missing_token", "authentication required")
	}
	c, err := s.d.Tokens.Verify(ctx, token)
	if err != nil {
		if domain.KindOf(err) == domain.Unauthenticated {
			return user.Claims{}, err
		}
		return user.Claims{}, domain.Wrap(domain.Unauthenticated, "invalid_token", "invalid token", err)
	}
	if err := s.check(ctx, c); err != nil {
		return user.Claims{}, err
	}
	return c, nil
}

// Profile returns a user through the cache.
func (s *Users) Profile(ctx context.Context, id user.ID) (user.User, error) {
	var (
		fill   ports.CacheFill
		cached = s.d.Cache != nil
	)
	if cached {
		u, ok, f, err := s.d.Cache.Get(ctx, id)
		if err == nil && ok {
			return u, nil
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			s.d.Logger.WarnContext(ctx, "profile cache get", "user_id", int64(id), "err", err)
		}
		fill, cached = f, err == nil // no fill to present after a failed Get
	}
	u, err := s.d.Users.ByID(ctx, id)
	if err != nil {
		return user.User{}, err
	}
	if cached {
		if err := s.d.Cache.Set(ctx, u, fill); err != nil {
			s.d.Logger.WarnContext(ctx, "profile cache set", "user_id", int64(id), "err", err)
		}
	}
	return u, nil
}

// UpdateProfile applies a patch to the actor's profile and invalidates the
// cache on every instance.
func (s *Users) UpdateProfile(ctx context.Context, actor user.ID, p user.Patch) (user.User, error) {
	u, err := s.d.Users.ByID(ctx, actor)
	if err != nil {
		return user.User{}, err
	}
	before := u.DisplayName
	if err := u.Apply(p); err != nil {
		return user.User{}, err
	}
	if p.DisplayName != nil {
		if err := s.notAnotherUsername(ctx, u); err != nil {
			return user.User{}, err
		}
	}
	u, err = s.d.Users.Update(ctx, u)
	if err != nil {
		return user.User{}, err
	}
	s.invalidate(ctx, actor)
	if u.DisplayName != before {
		announceProfile(ctx, s.d.Reads, s.d.Bus, s.d.Logger, u)
	}
	return u, nil
}

// notAnotherUsername refuses a display name that is, case-insensitively,
// another user's username: "alice" shown on bob's messages would pass for
// alice. Being one's own username is the default.
func (s *Users) notAnotherUsername(ctx context.Context, u user.User) error {
	name, err := user.NewUsername(u.DisplayName)
	if err != nil || name == u.Username {
		return nil // not a possible username, or the user's own
	}
	other, err := s.d.Users.ByUsername(ctx, name)
	switch {
	case domain.KindOf(err) == domain.NotFound:
		return nil
	case err != nil:
		return err
	case other.ID != u.ID:
		return domain.Errorf(domain.Conflict, "display_name_taken", "display name %q is another user's username", u.DisplayName)
	}
	return nil
}

func (s *Users) invalidate(ctx context.Context, id user.ID) {
	if s.d.Cache == nil {
		return
	}
	if err := s.d.Cache.Invalidate(ctx, id); err != nil {
		s.d.Logger.ErrorContext(ctx, "profile cache invalidate", "user_id", int64(id), "err", err)
	}
}
