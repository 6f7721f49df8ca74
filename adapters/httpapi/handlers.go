package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
)

// Each handler parses, calls one use case, encodes.

func (s *Server) register(c echo.Context) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.cfg.Users.Register(c.Request().Context(), user.Registration{Username: in.Username, Password: in.Password, Email: in.Email})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, wire.ProfileOf(s.cfg.Links, u, u.ID))
}

// login accepts JSON or the OAuth2 password form (urlencoded or multipart),
// which the seed's FastAPI clients send.
func (s *Server) login(c echo.Context) error {
	username, password, err := credentials(c)
	if err != nil {
		return err
	}
	tok, err := s.cfg.Users.Login(c.Request().Context(), username, password)
	if err != nil {
		return err
	}
	// RFC 6749 §5.1: token responses are not cached.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, wire.TokenOf(tok))
}

func credentials(c echo.Context) (username, password string, err error) {
	r := c.Request()
	mt, err := mediaType(r)
	if err != nil {
		return "", "", err
	}
	switch mt {
	case echo.MIMEApplicationForm, echo.MIMEMultipartForm:
		if mt == echo.MIMEApplicationForm {
			err = r.ParseForm()
		} else {
			err = r.ParseMultipartForm(1 << 20)
		}
		if err != nil {
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he):
				return "", "", he
			case errors.Is(err, os.ErrDeadlineExceeded):
				return "", "", bodyTimedOut(err)
			}
			return "", "", malformed("the form cannot be parsed", err)
		}
		return r.PostForm.Get("username"), r.PostForm.Get("password"), nil
	default:
		var in struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := decodeJSON(c, &in); err != nil {
			return "", "", err
		}
		return in.Username, in.Password, nil
	}
}

func (s *Server) me(c echo.Context) error {
	u, err := s.cfg.Users.Profile(c.Request().Context(), Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ProfileOf(s.cfg.Links, u, Actor(c)))
}

func (s *Server) updateMe(c echo.Context) error {
	var in struct {
		DisplayName  *string `json:"display_name"`
		Bio          *string `json:"bio"`
		ReadReceipts *bool   `json:"read_receipts"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.cfg.Users.UpdateProfile(c.Request().Context(), Actor(c),
		user.Patch{DisplayName: in.DisplayName, Bio: in.Bio, ReadReceipts: in.ReadReceipts})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ProfileOf(s.cfg.Links, u, Actor(c)))
}

func (s *Server) createRoom(c echo.Context) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		IsPrivate   bool   `json:"is_private"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.cfg.Rooms.Create(c.Request().Context(), Actor(c), room.Spec{Name: in.Name, Description: in.Description, IsPrivate: in.IsPrivate})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, wire.RoomOf(r))
}

func (s *Server) listRooms(c echo.Context) error {
	rs, err := s.cfg.Rooms.List(c.Request().Context(), Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.List(rs, wire.ListingOf))
}

func roomID(c echo.Context) (room.ID, error) {
	id, err := pathID(c, "id")
	return room.ID(id), err
}

func (s *Server) getRoom(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	r, err := s.cfg.Rooms.Get(c.Request().Context(), Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.RoomOf(r))
}

func (s *Server) updateRoom(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		IsPrivate   *bool   `json:"is_private"`
		EditWindow  *int64  `json:"edit_window"` // seconds
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := room.Patch{Name: in.Name, Description: in.Description, IsPrivate: in.IsPrivate}
	if in.EditWindow != nil {
		w := editWindow(*in.EditWindow)
		p.EditWindow = &w
	}
	r, err := s.cfg.Rooms.Update(c.Request().Context(), Actor(c), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.RoomOf(r))
}

// editWindow is seconds as a duration. Seconds too many for a Duration
// saturate just past the longest window, so the domain refuses them as it
// refuses any window too long (instead of overflowing into a short one).
func editWindow(seconds int64) time.Duration {
	limit := int64(room.EditWindowMax / time.Second)
	switch {
	case seconds > limit:
		return room.EditWindowMax + time.Second
	case seconds < -limit:
		return -room.EditWindowMax - time.Second
	}
	return time.Duration(seconds) * time.Second
}

// openDirect opens the direct conversation of the caller and the people
// named by user_id, username, user_ids and usernames, together: 201 when
// this call created it, 200 when it was there.
func (s *Server) openDirect(c echo.Context) error {
	var in struct {
		UserID    int64    `json:"user_id"`
		Username  string   `json:"username"`
		UserIDs   []int64  `json:"user_ids"`
		Usernames []string `json:"usernames"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ids := in.UserIDs
	if in.UserID != 0 {
		ids = append(ids, in.UserID)
	}
	names := in.Usernames
	if in.Username != "" {
		names = append(names, in.Username)
	}
	others := make([]user.ID, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return errInvalidDirect
		}
		others = append(others, user.ID(id))
	}
	// Counted here too, so a body naming thousands is refused before any
	// of them is looked up.
	if n := len(others) + len(names); n < 1 || n > room.DirectMax-1 {
		return errInvalidDirect
	}
	l, created, err := s.cfg.Rooms.OpenDirect(c.Request().Context(), Actor(c), others, names)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, wire.ListingOf(l))
}

var errInvalidDirect = domain.Errorf(domain.Invalid, "invalid_dm", "name 1 to %d other people by user_id, username, user_ids or usernames", room.DirectMax-1)

func (s *Server) transferRoom(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.UserID <= 0 {
		return domain.Errorf(domain.Invalid, "invalid_owner", "user_id must name the new owner")
	}
	r, err := s.cfg.Rooms.TransferOwnership(c.Request().Context(), Actor(c), id, user.ID(in.UserID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.RoomOf(r))
}

func (s *Server) deleteRoom(c echo.Context) error { return s.roomCommand(c, s.cfg.Rooms.Delete) }

func (s *Server) joinRoom(c echo.Context) error { return s.roomCommand(c, s.cfg.Rooms.Join) }

func (s *Server) leaveRoom(c echo.Context) error { return s.roomCommand(c, s.cfg.Rooms.Leave) }

// roomCommand runs a bodiless membership change on the path's room: 204.
func (s *Server) roomCommand(c echo.Context, run func(context.Context, user.ID, room.ID) error) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	if err := run(c.Request().Context(), Actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) members(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	ms, err := s.cfg.Rooms.Members(c.Request().Context(), Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.List(ms, wire.MemberOf(s.cfg.Links, Actor(c))))
}

func (s *Server) addMember(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	var in struct {
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var added bool
	switch {
	case in.UserID > 0 && in.Username == "":
		added, err = s.cfg.Rooms.AddMember(c.Request().Context(), Actor(c), id, user.ID(in.UserID))
	case in.UserID == 0 && in.Username != "":
		_, added, err = s.cfg.Rooms.AddMemberByName(c.Request().Context(), Actor(c), id, in.Username)
	default:
		return domain.Errorf(domain.Invalid, "invalid_member", "give either user_id or username")
	}
	if err != nil {
		return err
	}
	if !added {
		// Still a success (the user is a member), but the caller can say so
		// instead of "added".
		return c.JSON(http.StatusOK, wire.AlreadyMember{AlreadyMember: true})
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) removeMember(c echo.Context) error {
	return s.memberCommand(c, s.cfg.Rooms.RemoveMember)
}

// memberCommand runs a change of the path's member of the path's room: 204.
func (s *Server) memberCommand(c echo.Context, run func(context.Context, user.ID, room.ID, user.ID) error) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := run(c.Request().Context(), Actor(c), id, user.ID(uid)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// markRead moves the caller's read pointer: to the body's seq, or without
// a body (or seq) to the room's newest message.
func (s *Server) markRead(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	var in struct {
		Seq *int64 `json:"seq"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	seq := int64(math.MaxInt64)
	if in.Seq != nil {
		if *in.Seq < 0 {
			return domain.Errorf(domain.Invalid, "invalid_seq", "seq must be a non-negative integer")
		}
		seq = *in.Seq
	}
	st, err := s.cfg.Rooms.MarkRead(c.Request().Context(), Actor(c), id, seq)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ReadStateOf(id, st))
}
