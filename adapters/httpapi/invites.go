package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/room"
)

func (s *Server) invites() (room.Invites, error) {
	if s.cfg.Invites == nil {
		return nil, domain.Errorf(domain.Unavailable, "invites_unavailable", "invites are not available here")
	}
	return s.cfg.Invites, nil
}

// roomInvites is the invites and the path's room of a room's invite route.
func (s *Server) roomInvites(c echo.Context) (room.Invites, room.ID, error) {
	inv, err := s.invites()
	if err != nil {
		return nil, 0, err
	}
	id, err := roomID(c)
	return inv, id, err
}

func (s *Server) createInvite(c echo.Context) error {
	inv, id, err := s.roomInvites(c)
	if err != nil {
		return err
	}
	var in struct {
		ExpiresIn int64 `json:"expires_in"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > int64(room.InviteTTLMax/time.Second) {
		_, err := room.InviteTTL(-1)
		return err
	}
	out, err := inv.Create(c.Request().Context(), Actor(c), id, time.Duration(in.ExpiresIn)*time.Second)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, wire.InviteOf(out))
}

func (s *Server) listInvites(c echo.Context) error {
	inv, id, err := s.roomInvites(c)
	if err != nil {
		return err
	}
	list, err := inv.List(c.Request().Context(), Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.List(list, wire.InviteOf))
}

func (s *Server) revokeInvite(c echo.Context) error {
	inv, id, err := s.roomInvites(c)
	if err != nil {
		return err
	}
	if err := inv.Revoke(c.Request().Context(), Actor(c), id, c.Param("code")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) viewInvite(c echo.Context) error {
	inv, err := s.invites()
	if err != nil {
		return err
	}
	v, err := inv.View(c.Request().Context(), Actor(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.InviteViewOf(v))
}

func (s *Server) acceptInvite(c echo.Context) error {
	inv, err := s.invites()
	if err != nil {
		return err
	}
	l, err := inv.Accept(c.Request().Context(), Actor(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ListingOf(l))
}
