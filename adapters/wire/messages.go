package wire

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/user"
)

// History pages are the REST hot path: their JSON is appended by hand
// instead of through encoding/json's reflection, byte for byte what
// encoding/json (and so echo's c.JSON) writes for []Message — the
// tests compare the two on random and fuzzed input.

// WriteMessages answers with the JSON array of ms as viewer sees them
// (the links of files signed by l for viewer; l nil: unsigned paths) and
// an exact Content-Length (no chunked encoding).
func WriteMessages(w http.ResponseWriter, code int, ms []message.Message, l *Links, viewer user.ID) error {
	bp := pageBufs.Get().(*[]byte)
	b := appendMessages((*bp)[:0], ms, l, viewer)
	b = append(b, '\n') // as json.Encoder ends each value
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, err := w.Write(b)
	if cap(b) <= 256<<10 { // a page of long messages may grow one; don't keep giants
		*bp = b
		pageBufs.Put(bp)
	}
	return err
}

// pageBufs recycles the buffers pages are appended into (net/http has
// copied or sent the bytes when Write returns).
var pageBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// appendMessages appends ms as a JSON array ([] when empty).
func appendMessages(b []byte, ms []message.Message, l *Links, viewer user.ID) []byte {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, m, l, viewer)
	}
	return append(b, ']')
}

// appendMessage appends m as Message encodes.
func appendMessage(b []byte, m message.Message, l *Links, viewer user.ID) []byte {
	return appendMessageFields(append(b, '{'), m, l, viewer)
}

// appendMessageFields appends m's fields and the closing brace to an
// object just opened (after "{" or after a preceding field and its comma).
// Only files depend on l and viewer.
func appendMessageFields(b []byte, m message.Message, l *Links, viewer user.ID) []byte {
	b = append(b, `"id":`...)
	b = strconv.AppendInt(b, int64(m.ID), 10)
	b = append(b, `,"room_id":`...)
	b = strconv.AppendInt(b, int64(m.RoomID), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	b = append(b, `,"user_id":`...)
	b = strconv.AppendInt(b, int64(m.UserID), 10)
	b = append(b, `,"username":`...)
	b = appendJSONString(b, m.Username)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, m.Content)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, m.CreatedAt)
	if m.ClientID != "" {
		b = append(b, `,"client_id":`...)
		b = appendJSONString(b, m.ClientID)
	}
	if !m.EditedAt.IsZero() {
		b = append(b, `,"edited_at":`...)
		b = appendTime(b, m.EditedAt)
	}
	if m.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	if q := m.ReplyTo; q != nil {
		b = append(b, `,"reply_to":{"id":`...)
		b = strconv.AppendInt(b, int64(q.ID), 10)
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, q.Seq, 10)
		b = append(b, `,"user_id":`...)
		b = strconv.AppendInt(b, int64(q.UserID), 10)
		b = append(b, `,"username":`...)
		b = appendJSONString(b, q.Username)
		b = append(b, `,"content":`...)
		b = appendJSONString(b, q.Content)
		b = append(b, `,"deleted":`...)
		b = strconv.AppendBool(b, q.Deleted)
		b = append(b, '}')
	}
	if len(m.Mentions) > 0 {
		b = append(b, `,"mentions":`...)
		b = appendIDs(b, m.Mentions)
	}
	if len(m.Reactions) > 0 {
		b = append(b, `,"reactions":[`...)
		for i, r := range m.Reactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"emoji":`...)
			b = appendJSONString(b, r.Emoji)
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, int64(r.Count), 10)
			b = append(b, `,"user_ids":`...)
			b = appendIDs(b, r.UserIDs)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(m.Files) > 0 {
		b = append(b, `,"files":[`...)
		for i, a := range m.Files {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFile(b, a, l, viewer)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendFile appends a as File encodes it for viewer.
func appendFile(b []byte, a attachment.Attachment, l *Links, viewer user.ID) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(a.ID), 10)
	b = append(b, `,"room_id":`...)
	b = strconv.AppendInt(b, int64(a.RoomID), 10)
	b = append(b, `,"user_id":`...)
	b = strconv.AppendInt(b, int64(a.UserID), 10)
	b = append(b, `,"filename":`...)
	b = appendJSONString(b, a.Filename)
	b = append(b, `,"content_type":`...)
	b = appendJSONString(b, a.ContentType)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, a.Size, 10)
	b = append(b, `,"file_url":`...)
	b = appendJSONString(b, l.File(a.ID, viewer))
	b = append(b, `,"thumbnail_url":`...)
	if u := l.Thumbnail(a, viewer); u != "" {
		b = appendJSONString(b, u)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"thumbnail_status":`...)
	b = appendJSONString(b, string(a.ThumbnailStatus))
	b = append(b, `,"created_at":`...)
	b = appendTime(b, a.CreatedAt)
	return append(b, '}')
}

// appendIDs appends ids as a JSON array of numbers ([] when empty).
func appendIDs(b []byte, ids []user.ID) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return append(b, ']')
}

// appendTime appends t as a quoted TimeFormat string.
func appendTime(b []byte, t time.Time) []byte {
	return append(AppendTime(append(b, '"'), t), '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// (its default): quotes, backslash and control characters escaped, <, >
// and & as \u003c, \u003e, \u0026, U+2028/U+2029 escaped, invalid UTF-8
// replaced by \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
