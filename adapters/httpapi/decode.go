package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
)

// mediaType is the request's media type, lower-cased, without parameters;
// "" when the client sent none.
func mediaType(r *http.Request) (string, error) {
	ct := r.Header.Get(echo.HeaderContentType)
	if ct == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", malformed("Content-Type is not a media type", err)
	}
	return mt, nil
}

func isJSON(mt string) bool {
	return mt == "" || mt == echo.MIMEApplicationJSON || len(mt) > 5 && mt[len(mt)-5:] == "+json"
}

func unsupported(detail string) error {
	return wire.Refuse(http.StatusUnsupportedMediaType, "unsupported_media_type", detail, nil)
}

// decodeJSON reads exactly one JSON value into v. Unknown fields are
// ignored; a missing Content-Type is taken as JSON; anything after the
// value is rejected, and so is a body that is not valid UTF-8 (400
// invalid_utf8): encoding/json would turn each bad byte into U+FFFD and
// store text the client never sent. Bodies are small (JSONBodyLimit), so
// the body is read whole first.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	mt, err := mediaType(r)
	if err != nil {
		return err
	}
	if !isJSON(mt) {
		return unsupported("the body must be application/json")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	if !utf8.Valid(body) {
		return errInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		if err == nil {
			return malformed("the body must hold a single JSON value", nil)
		}
		return decodeError(err)
	}
	return nil
}

// bodyTimedOut is the answer to a body that did not arrive before the
// request's read deadline (bodyDeadline).
func bodyTimedOut(err error) error {
	return wire.Refuse(http.StatusRequestTimeout, "request_timeout", "the request body did not arrive in time", err)
}

var errInvalidUTF8 = wire.Refuse(http.StatusBadRequest, "invalid_utf8", "the body is not valid UTF-8", nil)

func decodeError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return bodyTimedOut(err)
	}
	var he *echo.HTTPError // the body limit's reader says 413
	if errors.As(err, &he) {
		return he
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return malformed("the body is empty", err)
	case errors.As(err, &te) && te.Field != "":
		return malformed("field "+te.Field+" has the wrong type", err)
	default:
		return malformed("the body is not valid JSON", err)
	}
}

// pathID parses a positive integer path parameter.
func pathID(c echo.Context, name string) (int64, error) {
	raw := c.Param(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, wire.Refuse(http.StatusBadRequest, "invalid_id", name+" must be a positive integer", err)
	}
	return id, nil
}

// queryInts parses optional integer query parameters, in the order named;
// absent ones are zero.
func queryInts(c echo.Context, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, name := range names {
		n, err := queryInt(c, name)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// queryInt parses an optional integer query parameter; absent is zero.
func queryInt(c echo.Context, name string) (int64, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, malformed("query parameter "+name+" must be an integer", err)
	}
	return n, nil
}
