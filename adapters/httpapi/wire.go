package httpapi

import (
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The wire shapes of DESIGN.md's contract. Times are UTC, RFC 3339 with Z.

type profileJSON struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Bio         string    `json:"bio"`
	AvatarURL   *string   `json:"avatar_url"`
	CreatedAt   time.Time `json:"created_at"`
}

type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type roomJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	IsPrivate   bool      `json:"is_private"`
	OwnerID     int64     `json:"owner_id"`
	CreatedAt   time.Time `json:"created_at"`
	IsMember    *bool     `json:"is_member,omitempty"` // in room lists
}

type memberJSON struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Online      bool    `json:"online"`
}

type messageJSON struct {
	ID        int64     `json:"id"`
	RoomID    int64     `json:"room_id"`
	Seq       int64     `json:"seq"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
	ClientID  string    `json:"client_id,omitempty"`
}

// avatarURL is u's avatar link for viewer (links are bound to their user).
func (s *Server) avatarURL(u user.User, viewer user.ID) *string {
	if s.cfg.AvatarURL == nil || u.AvatarKey == "" {
		return nil
	}
	if link := s.cfg.AvatarURL(u, viewer); link != "" {
		return &link
	}
	return nil
}

// profile encodes u as viewer sees it.
func (s *Server) profile(u user.User, viewer user.ID) profileJSON {
	return profileJSON{
		ID:          int64(u.ID),
		Username:    u.Username.String(),
		DisplayName: u.DisplayName,
		Bio:         u.Bio,
		AvatarURL:   s.avatarURL(u, viewer),
		CreatedAt:   u.CreatedAt.UTC(),
	}
}

func tokenOf(t user.Token) tokenJSON {
	return tokenJSON{AccessToken: t.AccessToken, TokenType: "bearer", ExpiresIn: int64(t.ExpiresIn / time.Second)}
}

func roomOf(r room.Room) roomJSON {
	return roomJSON{
		ID:          int64(r.ID),
		Name:        r.Name,
		Description: r.Description,
		IsPrivate:   r.IsPrivate,
		OwnerID:     int64(r.OwnerID),
		CreatedAt:   r.CreatedAt.UTC(),
	}
}

func listingOf(l room.Listing) roomJSON {
	j := roomOf(l.Room)
	j.IsMember = &l.IsMember
	return j
}

// memberOf encodes room members as viewer sees them.
func (s *Server) memberOf(viewer user.ID) func(m room.Member) memberJSON {
	return func(m room.Member) memberJSON {
		return memberJSON{
			ID:          int64(m.User.ID),
			Username:    m.User.Username.String(),
			DisplayName: m.User.DisplayName,
			AvatarURL:   s.avatarURL(m.User, viewer),
			Online:      m.Online,
		}
	}
}

func messageOf(m message.Message) messageJSON {
	return messageJSON{
		ID:        int64(m.ID),
		RoomID:    int64(m.RoomID),
		Seq:       m.Seq,
		UserID:    int64(m.UserID),
		Username:  m.Username,
		Content:   m.Content,
		CreatedAt: m.CreatedAt.UTC(),
		ClientID:  m.ClientID,
	}
}

// mapSlice encodes a list; never nil, so an empty list is [] on the wire.
func mapSlice[T, J any](xs []T, f func(T) J) []J {
	out := make([]J, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
