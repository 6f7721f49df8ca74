package user

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
)

// Limits of the administrators' inputs.
const (
	SuspendReasonMax = 500 // characters of a suspension's reason
	SearchMax        = 64  // characters of a user list's search
	ListMax          = 100 // users of one page of the list
	ListDefault      = 50
)

// Suspension is an administrator's suspension of an account: when and
// why. The zero value is no suspension.
type Suspension struct {
	At     time.Time
	Reason string
}

// Active reports whether s suspends the account.
func (s Suspension) Active() bool { return !s.At.IsZero() }

// Suspended reports whether u is suspended.
func (u User) Suspended() bool { return u.Suspension.Active() }

// NewSuspension validates a suspension's reason (trimmed; may be empty, at
// most SuspendReasonMax characters, no control, bidirectional or
// zero-width characters but line breaks and tabs) and stamps it with now.
func NewSuspension(reason string, now time.Time) (Suspension, error) {
	r := strings.TrimSpace(reason)
	if err := checkText("reason", r, SuspendReasonMax); err != nil {
		return Suspension{}, err
	}
	if !cleanText(r) {
		return Suspension{}, domain.Errorf(domain.Invalid, "invalid_reason", "reason must not contain control, bidirectional or zero-width characters")
	}
	return Suspension{At: now.UTC(), Reason: r}, nil
}

// ListQuery is one page of the user list: accounts with an id above After
// whose username or display name contains Search (case-insensitively;
// empty: every account), Limit of them, by id.
type ListQuery struct {
	Search string
	After  ID
	Limit  int
}

// NewListQuery validates a page of the user list: limit 0 is ListDefault,
// at most ListMax; search is trimmed, at most SearchMax characters.
func NewListQuery(search string, after ID, limit int) (ListQuery, error) {
	search = strings.TrimSpace(search)
	if !utf8.ValidString(search) || strings.ContainsRune(search, 0) || utf8.RuneCountInString(search) > SearchMax {
		return ListQuery{}, domain.Errorf(domain.Invalid, "invalid_search", "search must be valid UTF-8 of at most %d characters", SearchMax)
	}
	if after < 0 {
		return ListQuery{}, domain.Errorf(domain.Invalid, "invalid_after", "after must not be negative")
	}
	switch {
	case limit == 0:
		limit = ListDefault
	case limit < 0 || limit > ListMax:
		return ListQuery{}, domain.Errorf(domain.Invalid, "invalid_limit", "limit must be 1 to %d", ListMax)
	}
	return ListQuery{Search: search, After: after, Limit: limit}, nil
}

// Admin is what driving adapters may ask of the administration of
// accounts. The operator's commands (SetAdmin, CreateUser, ResetPassword)
// take no actor: whoever runs them on the server's own machine with its
// configuration is trusted. The others take the actor and refuse anyone
// but a live (not suspended) administrator: Forbidden "not_admin".
type Admin interface {
	// SetAdmin grants (admin true) or revokes the administrator role of
	// the account named username; NotFound "user_not_found".
	SetAdmin(ctx context.Context, username string, admin bool) (User, error)
	// CreateUser creates an account with password, an administrator when
	// admin. Conflict "username_taken"; Invalid for a bad name or password.
	CreateUser(ctx context.Context, username, password string, admin bool) (User, error)
	// ResetPassword replaces the password of the account named username
	// and ends every session of it (its sockets close, its tokens stop
	// working, on every instance).
	ResetPassword(ctx context.Context, username, password string) error

	// Authorize refuses anyone but a live administrator (Forbidden
	// "not_admin") and charges nothing: the job dashboard asks it on each of
	// its requests.
	Authorize(ctx context.Context, actor ID) error
	// Users lists accounts (see ListQuery).
	Users(ctx context.Context, actor ID, q ListQuery) ([]User, error)
	// Account returns one account with its role and suspension.
	Account(ctx context.Context, actor ID, id ID) (User, error)
	// Suspend suspends account id: its sessions end on every instance
	// (every socket closes, every token stops working) and it cannot sign
	// in (Forbidden "account_suspended") until Unsuspend. An administrator
	// cannot suspend themselves (Invalid "suspend_self"). Suspending a
	// suspended account keeps its first suspension.
	Suspend(ctx context.Context, actor ID, id ID, reason string) (User, error)
	// Unsuspend lifts account id's suspension (idempotent).
	Unsuspend(ctx context.Context, actor ID, id ID) (User, error)
}
