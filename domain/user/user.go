package user

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
)

// ID identifies a user. Zero is never a valid id.
type ID int64

// Limits on profile fields.
const (
	UsernameMin    = 3
	UsernameMax    = 32
	PasswordMin    = 8
	PasswordMax    = 256
	DisplayNameMax = 64
	BioMax         = 500
	EmailMax       = 254
)

// Username is a validated, case-folded username: 3–32 of [a-z0-9_.-]. Input
// is folded to lower case first, so "Alice" and "alice" are the same name.
type Username struct{ s string }

// NewUsername folds and validates s.
func NewUsername(s string) (Username, error) {
	f := strings.ToLower(strings.TrimSpace(s))
	if n := len(f); n < UsernameMin || n > UsernameMax {
		return Username{}, domain.Errorf(domain.Invalid, "invalid_username", "username must be %d to %d characters", UsernameMin, UsernameMax)
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return Username{}, domain.Errorf(domain.Invalid, "invalid_username", "username may contain only a-z, 0-9, '_', '.' and '-'")
		}
	}
	return Username{f}, nil
}

func (u Username) String() string { return u.s }

// ValidatePassword checks a clear-text password's length in characters.
func ValidatePassword(p string) error {
	if !utf8.ValidString(p) {
		return domain.Errorf(domain.Invalid, "invalid_password", "password must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(p); n < PasswordMin || n > PasswordMax {
		return domain.Errorf(domain.Invalid, "invalid_password", "password must be %d to %d characters", PasswordMin, PasswordMax)
	}
	return nil
}

// User is an account with its public profile. It never holds the
// account's password, not even hashed: that is Credentials, which only the
// use cases that check a password read.
type User struct {
	ID          ID
	Username    Username
	Email       string
	DisplayName string
	Bio         string
	AvatarKey   string // blob key of the processed avatar; empty when none
	// HideReceipts: the user's read pointer is not shown to other members
	// (no read_receipt events, no last_read_seq in member lists).
	HideReceipts bool
	// Admin: the account administers the server (the /admin routes, the
	// job dashboard). Granted and revoked on the command line.
	Admin bool
	// Suspension is set while an administrator has suspended the account:
	// it cannot sign in and its sessions have ended.
	Suspension Suspension
	CreatedAt  time.Time
}

// Credentials are what checks a password: whose account it is and the
// hasher's output for its password. They are read apart from the User, by
// signing in and by the account changes that ask for the password again,
// so a profile that leaves the store (a cache, a response, a log) cannot
// carry a hash.
type Credentials struct {
	UserID   ID
	Username Username
	Hash     string
}

// New builds a user ready to be stored (its password hash is stored with
// it, apart from it: see Credentials).
func New(username Username, email string, now time.Time) (User, error) {
	if username.s == "" {
		return User{}, domain.Errorf(domain.Invalid, "invalid_username", "username is required")
	}
	email = strings.TrimSpace(email)
	if len(email) > EmailMax || email != "" && (!strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n")) {
		return User{}, domain.Errorf(domain.Invalid, "invalid_email", "email is not a valid address")
	}
	return User{Username: username, Email: email, DisplayName: username.s, CreatedAt: now.UTC()}, nil
}

// Patch is a partial profile update; nil fields are left alone. A display
// name is trimmed, and refused when it holds control, bidirectional or
// zero-width characters (domain.CleanName); blank, it resets to the
// username. That it is no other user's username is the application's
// check: it needs the store.
type Patch struct {
	DisplayName *string
	Bio         *string
	// ReadReceipts shows (true) or hides (false) the user's read pointer
	// from other members.
	ReadReceipts *bool
}

// Apply validates p and applies it to u.
func (u *User) Apply(p Patch) error {
	if p.DisplayName != nil {
		d := strings.TrimSpace(*p.DisplayName)
		if err := checkText("display_name", d, DisplayNameMax); err != nil {
			return err
		}
		if !domain.CleanName(d) {
			return domain.Errorf(domain.Invalid, "invalid_display_name", "display_name must not contain control, bidirectional or zero-width characters")
		}
		if d == "" {
			d = u.Username.s
		}
		u.DisplayName = d
	}
	if p.Bio != nil {
		b := strings.TrimSpace(*p.Bio)
		if err := checkText("bio", b, BioMax); err != nil {
			return err
		}
		if !cleanText(b) {
			return domain.Errorf(domain.Invalid, "invalid_bio", "bio must not contain control, bidirectional or zero-width characters")
		}
		u.Bio = b
	}
	if p.ReadReceipts != nil {
		u.HideReceipts = !*p.ReadReceipts
	}
	return nil
}

// cleanText reports whether s holds no control, bidirectional or
// zero-width character but line breaks and tabs, which are text in a bio
// or a reason; any other could disguise it.
func cleanText(s string) bool {
	return domain.CleanName(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s))
}

func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return domain.Errorf(domain.Invalid, "invalid_"+field, "%s must be valid UTF-8 without NUL", field)
	}
	if utf8.RuneCountInString(s) > max {
		return domain.Errorf(domain.Invalid, "invalid_"+field, "%s must be at most %d characters", field, max)
	}
	return nil
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// Claims is what a verified token (or a redeemed WebSocket ticket) says.
// SessionID names the sign-in the token belongs to: the token is honoured
// only while that session lasts (see Sessions).
type Claims struct {
	UserID    ID
	SessionID string
	ExpiresAt time.Time
}

// Registration is the input of Register.
type Registration struct {
	Username string
	Password string
	Email    string
}

// Service is what driving adapters may ask of accounts.
type Service interface {
	// Register creates an account. Invalid for bad input, Conflict
	// ("username_taken") when the folded name exists.
	Register(ctx context.Context, r Registration) (User, error)
	// Login checks credentials. Unauthenticated for any mismatch, without
	// telling which part was wrong; Forbidden "account_suspended" for the
	// right password of a suspended account.
	Login(ctx context.Context, username, password string) (Token, error)
	// Authenticate verifies an access token. Unauthenticated when the token
	// is malformed, forged, expired, its session has ended, or its user no
	// longer exists or is suspended ("account_suspended").
	Authenticate(ctx context.Context, token string) (Claims, error)
	// Profile returns a user by id (cached).
	Profile(ctx context.Context, id ID) (User, error)
	// UpdateProfile applies a patch to the actor's own profile.
	UpdateProfile(ctx context.Context, actor ID, p Patch) (User, error)
}
