package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/user"
)

// sessions returns the session service, or Unavailable when the server was
// built without one.
func (s *Server) sessions() (user.Sessions, error) {
	if s.cfg.Sessions == nil {
		return nil, domain.Errorf(domain.Unavailable, "sessions_unavailable", "session management is not configured")
	}
	return s.cfg.Sessions, nil
}

func (s *Server) logout(c echo.Context) error {
	ss, err := s.sessions()
	if err != nil {
		return err
	}
	if err := ss.Logout(c.Request().Context(), claimsOf(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) logoutAll(c echo.Context) error {
	ss, err := s.sessions()
	if err != nil {
		return err
	}
	if err := ss.LogoutAll(c.Request().Context(), Actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) changePassword(c echo.Context) error {
	ss, err := s.sessions()
	if err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := ss.ChangePassword(c.Request().Context(), claimsOf(c), in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) deleteMe(c echo.Context) error {
	ss, err := s.sessions()
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := ss.DeleteAccount(c.Request().Context(), Actor(c), in.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) issueTicket(c echo.Context) error {
	ss, err := s.sessions()
	if err != nil {
		return err
	}
	t, err := ss.IssueTicket(c.Request().Context(), claimsOf(c))
	if err != nil {
		return err
	}
	// A ticket is a credential: never cached.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, wire.TicketOf(t))
}
