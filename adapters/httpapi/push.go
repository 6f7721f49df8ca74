package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/push"
)

// pushRoutes are Web Push's: the server's key, the caller's subscriptions,
// and room mutes.
func (s *Server) pushRoutes(limit, auth echo.MiddlewareFunc) {
	e := s.echo
	e.GET("/push/key", s.pushKey)
	e.GET("/push/subscriptions", s.listPushSubscriptions, auth)
	e.POST("/push/subscriptions", s.subscribePush, limit, auth)
	e.DELETE("/push/subscriptions/:subscription_id", s.unsubscribePush, auth)
	e.GET("/rooms/:id/mute", s.muted, auth)
	e.PUT("/rooms/:id/mute", s.mute, limit, auth)
	e.DELETE("/rooms/:id/mute", s.unmute, auth)
}

func (s *Server) pushService() (push.Service, error) {
	if s.cfg.Push == nil {
		return nil, domain.Errorf(domain.Unavailable, "push_unavailable", "push notifications are not available here")
	}
	return s.cfg.Push, nil
}

func (s *Server) pushKey(c echo.Context) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	key, err := p.PublicKey()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.PushKey{PublicKey: key})
}

func (s *Server) listPushSubscriptions(c echo.Context) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	subs, err := p.Subscriptions(c.Request().Context(), Actor(c))
	if err != nil {
		return err
	}
	out := make([]wire.PushSubscription, len(subs))
	for i, sub := range subs {
		out[i] = wire.PushSubscriptionOf(sub)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) subscribePush(c echo.Context) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	var in wire.PushSubscribe
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sub, err := push.NewSubscription(Actor(c), in.Endpoint, in.Keys.P256DH, in.Keys.Auth, time.Time{}) // the application stamps it
	if err != nil {
		return err
	}
	sub, err = p.Subscribe(c.Request().Context(), Actor(c), sub)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, wire.PushSubscriptionOf(sub))
}

func (s *Server) unsubscribePush(c echo.Context) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	id, err := pathID(c, "subscription_id")
	if err != nil {
		return err
	}
	if err := p.Unsubscribe(c.Request().Context(), Actor(c), push.SubscriptionID(id)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) muted(c echo.Context) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	id, err := roomID(c)
	if err != nil {
		return err
	}
	m, err := p.Muted(c.Request().Context(), Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.Mute{Muted: m})
}

func (s *Server) mute(c echo.Context) error   { return s.setMute(c, true) }
func (s *Server) unmute(c echo.Context) error { return s.setMute(c, false) }

func (s *Server) setMute(c echo.Context, muted bool) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	id, err := roomID(c)
	if err != nil {
		return err
	}
	if err := p.Mute(c.Request().Context(), Actor(c), id, muted); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
