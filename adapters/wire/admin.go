package wire

import "chat/domain/user"

// Account is a user as administrators see it: the profile's names, the
// e-mail, the role and the suspension.
type Account struct {
	ID            int64   `json:"id"`
	Username      string  `json:"username"`
	DisplayName   string  `json:"display_name"`
	Email         string  `json:"email"`
	IsAdmin       bool    `json:"is_admin"`
	Suspended     bool    `json:"suspended"`
	SuspendedAt   *string `json:"suspended_at"`
	SuspendReason string  `json:"suspend_reason"`
	CreatedAt     string  `json:"created_at"`
}

// AccountOf encodes u for an administrator.
func AccountOf(u user.User) Account {
	a := Account{
		ID: int64(u.ID), Username: u.Username.String(), DisplayName: u.DisplayName, Email: u.Email,
		IsAdmin: u.Admin, Suspended: u.Suspended(), SuspendReason: u.Suspension.Reason,
		CreatedAt: FormatTime(u.CreatedAt),
	}
	if u.Suspended() {
		a.SuspendedAt = optional(FormatTime(u.Suspension.At))
	}
	return a
}

// AccountPage is one page of the user list; NextAfter is the after of the
// next page, null on the last.
type AccountPage struct {
	Users     []Account `json:"users"`
	NextAfter *int64    `json:"next_after"`
}

// AccountPageOf encodes a page of limit users at most.
func AccountPageOf(us []user.User, limit int) AccountPage {
	p := AccountPage{Users: make([]Account, 0, len(us))}
	for _, u := range us {
		p.Users = append(p.Users, AccountOf(u))
	}
	if len(us) > 0 && len(us) >= limit {
		next := int64(us[len(us)-1].ID)
		p.NextAfter = &next
	}
	return p
}
