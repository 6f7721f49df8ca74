package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
)

// The routes of a room's messages and of the caller's scheduled messages.

// roomMessage is the path's room and message.
func roomMessage(c echo.Context) (room.ID, message.ID, error) {
	id, err := roomID(c)
	if err != nil {
		return 0, 0, err
	}
	mid, err := pathID(c, "message_id")
	return id, message.ID(mid), err
}

func (s *Server) history(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	v, err := queryInts(c, "before", "after_seq", "around", "limit")
	if err != nil {
		return err
	}
	before, afterSeq, around, limit := v[0], v[1], v[2], v[3]
	ms, err := s.cfg.Messages.History(c.Request().Context(), Actor(c), id, message.Page{
		Before: message.ID(before), AfterSeq: afterSeq, Around: message.ID(around), Limit: int(limit),
		Forward: c.QueryParam("after_seq") != "", // after_seq=0: from the start, oldest first
	})
	if err != nil {
		return err
	}
	return wire.WriteMessages(c.Response(), http.StatusOK, ms, s.cfg.Links, Actor(c))
}

// search finds messages in the caller's rooms (or one of them, room_id):
// a page of hits, newest first, with the cursor of the next one.
func (s *Server) search(c echo.Context) error {
	v, err := queryInts(c, "room_id", "before", "limit")
	if err != nil {
		return err
	}
	roomID, before, limit := v[0], v[1], v[2]
	q, err := message.NewSearchQuery(c.QueryParam("q"), room.ID(roomID), message.ID(before), int(limit))
	if err != nil {
		return err
	}
	hits, err := s.cfg.Messages.Search(c.Request().Context(), Actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.SearchResultOf(hits, q.Limit, s.cfg.Links, Actor(c)))
}

// sendMessage sends a message now (201 with it) or, with send_at,
// schedules it (202 with the scheduled message).
func (s *Server) sendMessage(c echo.Context) error {
	id, err := roomID(c)
	if err != nil {
		return err
	}
	var in struct {
		Content  string  `json:"content"`
		ClientID string  `json:"client_id"`
		ReplyTo  int64   `json:"reply_to"`
		FileIDs  []int64 `json:"file_ids"`
		SendAt   *string `json:"send_at"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := wire.DraftOf(in.Content, in.ClientID, in.ReplyTo, in.FileIDs)
	if err != nil {
		return err
	}
	if in.SendAt != nil {
		if d.SendAt, err = sendAt(*in.SendAt); err != nil {
			return err
		}
	}
	m, _, sched, err := s.cfg.Messages.Compose(c.Request().Context(), Actor(c), id, d)
	if err != nil {
		return err
	}
	if !d.SendAt.IsZero() {
		return c.JSON(http.StatusAccepted, wire.ScheduledOf(sched))
	}
	return c.JSON(http.StatusCreated, wire.MessageOf(s.cfg.Links, Actor(c))(m))
}

// sendAt parses a send_at timestamp: RFC 3339 with a zone (TimeFormat is
// one such form).
func sendAt(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, domain.Wrap(domain.Invalid, "invalid_send_at", "send_at must be an RFC 3339 timestamp", err)
	}
	return t, nil
}

func (s *Server) getMessage(c echo.Context) error {
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	m, err := s.cfg.Messages.Get(c.Request().Context(), Actor(c), id, mid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.MessageOf(s.cfg.Links, Actor(c))(m))
}

// editMessage edits and answers with the message as it now is. Edit
// reports the change (its seq, text and mentions), not the whole message
// (reply, reactions, files), so the message is read back: what a
// concurrent change made of it meanwhile shows too.
func (s *Server) editMessage(c echo.Context) error {
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	var in struct {
		Content string `json:"content"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.cfg.Messages.Edit(ctx, Actor(c), id, mid, in.Content); err != nil {
		return err
	}
	m, err := s.cfg.Messages.Get(ctx, Actor(c), id, mid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.MessageOf(s.cfg.Links, Actor(c))(m))
}

func (s *Server) deleteMessage(c echo.Context) error {
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Messages.Delete(c.Request().Context(), Actor(c), id, mid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) messageVersions(c echo.Context) error {
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	vs, err := s.cfg.Messages.Versions(c.Request().Context(), Actor(c), id, mid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.List(vs, wire.VersionOf))
}

func (s *Server) addReaction(c echo.Context) error { return s.react(c, true) }

func (s *Server) removeReaction(c echo.Context) error { return s.react(c, false) }

// react adds or takes back the caller's emoji: 204 whether or not it
// changed anything.
func (s *Server) react(c echo.Context, add bool) error {
	id, mid, err := roomMessage(c)
	if err != nil {
		return err
	}
	emoji, err := emojiParam(c)
	if err != nil {
		return err
	}
	if _, _, err := s.cfg.Messages.React(c.Request().Context(), Actor(c), id, mid, emoji, add); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// emojiParam is the path's emoji, percent-decoded. Echo matches routes on
// the request's raw path when it has one (a path whose escaping is not
// Go's own, lower-case hex for one) and then gives parameters still
// escaped; otherwise on the decoded path, and they come decoded. Decoding
// only in the first case decodes every emoji exactly once.
func emojiParam(c echo.Context) (string, error) {
	v := c.Param("emoji")
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	e, err := url.PathUnescape(v)
	if err != nil {
		return "", domain.Wrap(domain.Invalid, "invalid_emoji", "a reaction is one emoji", err)
	}
	return e, nil
}

func (s *Server) listScheduled(c echo.Context) error {
	list, err := s.cfg.Messages.Scheduled(c.Request().Context(), Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.List(list, wire.ScheduledOf))
}

// updateScheduled changes a pending message's text and/or time; absent
// fields are left alone.
func (s *Server) updateScheduled(c echo.Context) error {
	id, err := pathID(c, "scheduled_id")
	if err != nil {
		return err
	}
	var in struct {
		Content *string `json:"content"`
		SendAt  *string `json:"send_at"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var at *time.Time
	if in.SendAt != nil {
		t, err := sendAt(*in.SendAt)
		if err != nil {
			return err
		}
		at = &t
	}
	sched, err := s.cfg.Messages.Reschedule(c.Request().Context(), Actor(c), message.ScheduledID(id), in.Content, at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ScheduledOf(sched))
}

func (s *Server) cancelScheduled(c echo.Context) error {
	id, err := pathID(c, "scheduled_id")
	if err != nil {
		return err
	}
	if err := s.cfg.Messages.Unschedule(c.Request().Context(), Actor(c), message.ScheduledID(id)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
