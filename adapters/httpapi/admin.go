package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// Admin is what the /admin routes ask: the administrators' use cases. Each
// refuses everyone but a live administrator (403 not_admin); the routes
// only authenticate.
type Admin interface {
	user.Admin
	room.Moderation
	message.Moderation
}

// The job dashboard's cookie. The browser sends it only to /admin/jobs,
// only from this site (SameSite=Strict: no other site's page can make a
// request that carries it), and scripts cannot read it (HttpOnly).
const (
	jobsCookie     = "chat_jobs"
	jobsPath       = "/admin/jobs"
	jobsCookieLife = 30 * time.Minute
)

func (s *Server) adminRoutes(e *echo.Echo, auth, limit echo.MiddlewareFunc) {
	e.GET("/admin/users", s.adminUsers, auth)
	e.GET("/admin/users/:user_id", s.adminAccount, auth)
	e.PUT("/admin/users/:user_id/suspension", s.adminSuspend, limit, auth)
	e.DELETE("/admin/users/:user_id/suspension", s.adminUnsuspend, auth)
	e.DELETE("/admin/rooms/:id", s.adminDeleteRoom, auth)
	e.DELETE("/admin/rooms/:id/members/:user_id", s.adminRemoveMember, auth)
	e.DELETE("/admin/rooms/:id/messages/:message_id", s.adminDeleteMessage, auth)

	// River UI: a browser app, whose page loads and API calls carry no
	// Authorization header. The web client trades its bearer token for the
	// dashboard's cookie (POST), then opens /admin/jobs/.
	e.POST("/admin/jobs/session", s.openJobs, auth)
	e.DELETE("/admin/jobs/session", s.closeJobs, auth)
	jobs := s.jobsAuth()
	e.GET(jobsPath, s.jobs, jobs)
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch} {
		e.Add(m, jobsPath+"/*", s.jobs, limit, jobs) // River UI's bodies are JSON too
	}
}

func (s *Server) admin() (Admin, error) {
	if s.cfg.Admin == nil {
		return nil, domain.Errorf(domain.Unavailable, "admin_unavailable", "administration is not configured")
	}
	return s.cfg.Admin, nil
}

func (s *Server) adminUsers(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	after, err := queryInt(c, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	q := user.ListQuery{Search: c.QueryParam("search"), After: user.ID(after), Limit: int(max(min(limit, 1<<20), -1))}
	us, err := a.Users(c.Request().Context(), Actor(c), q)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = user.ListDefault
	}
	return c.JSON(http.StatusOK, wire.AccountPageOf(us, q.Limit))
}

func (s *Server) adminAccount(c echo.Context) error {
	return s.account(c, func(a Admin, u user.ID) (user.User, error) {
		return a.Account(c.Request().Context(), Actor(c), u)
	})
}

func (s *Server) adminSuspend(c echo.Context) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	return s.account(c, func(a Admin, u user.ID) (user.User, error) {
		return a.Suspend(c.Request().Context(), Actor(c), u, in.Reason)
	})
}

func (s *Server) adminUnsuspend(c echo.Context) error {
	return s.account(c, func(a Admin, u user.ID) (user.User, error) {
		return a.Unsuspend(c.Request().Context(), Actor(c), u)
	})
}

// account runs do on the path's user and answers the account it returns.
func (s *Server) account(c echo.Context, do func(Admin, user.ID) (user.User, error)) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	id, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	u, err := do(a, user.ID(id))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.AccountOf(u))
}

func (s *Server) adminDeleteRoom(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	return s.roomCommand(c, a.DeleteRoom)
}

func (s *Server) adminRemoveMember(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	return s.memberCommand(c, a.RemoveMember)
}

func (s *Server) adminDeleteMessage(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	if _, err := a.DeleteMessage(c.Request().Context(), Actor(c), id, mid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// openJobs sets the dashboard's cookie for an administrator: the bearer
// token itself, so every dashboard request passes the very session checks
// a bearer request does (a logout, a suspension or a revoked role ends it
// at once), kept by the browser at most jobsCookieLife and never past the
// token's expiry.
func (s *Server) openJobs(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	if err := a.Authorize(c.Request().Context(), Actor(c)); err != nil {
		return err
	}
	token, _ := bearerToken(c.Request())
	// At least a second: Max-Age 0 would delete the cookie.
	life := max(min(jobsCookieLife, time.Until(claimsOf(c).ExpiresAt)), time.Second)
	c.SetCookie(s.jobsCookie(c, token, int(life/time.Second)))
	return c.NoContent(http.StatusNoContent)
}

// closeJobs drops the dashboard's cookie (signing out of the web client
// does it). Like every /admin route it answers administrators only.
func (s *Server) closeJobs(c echo.Context) error {
	a, err := s.admin()
	if err != nil {
		return err
	}
	if err := a.Authorize(c.Request().Context(), Actor(c)); err != nil {
		return err
	}
	c.SetCookie(s.jobsCookie(c, "", -1))
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) jobsCookie(c echo.Context, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: jobsCookie, Value: value, Path: jobsPath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	}
}

// jobsAuth admits the dashboard's requests: the cookie's token must pass
// Authenticate (as a bearer token does) and its user be a live
// administrator — asked on every request, so a revoked role shuts the
// dashboard at once. A bearer token is taken too (scripts, curl).
func (s *Server) jobsAuth() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a, err := s.admin()
			if err != nil {
				return err
			}
			token, ok := bearerToken(c.Request())
			if !ok {
				ck, err := c.Cookie(jobsCookie)
				if err != nil || ck.Value == "" {
					return domain.Errorf(domain.Unauthenticated, "missing_token", "open the job dashboard from the web client's Admin section")
				}
				token = ck.Value
			}
			claims, err := s.cfg.Users.Authenticate(c.Request().Context(), token)
			if err != nil {
				return err
			}
			if err := a.Authorize(c.Request().Context(), claims.UserID); err != nil {
				return err
			}
			c.Set(actorKey, claims.UserID)
			return next(c)
		}
	}
}

func (s *Server) jobs(c echo.Context) error {
	if s.cfg.Jobs == nil {
		return domain.Errorf(domain.Unavailable, "jobs_unavailable", "the job dashboard is not running")
	}
	// River UI's pages are its own: a frame of another site may not hold
	// them, and nothing it fetches may leave this site.
	h := c.Response().Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'; connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'")
	h.Set("Cache-Control", "no-store")
	s.cfg.Jobs.ServeHTTP(c.Response(), c.Request())
	return nil
}
