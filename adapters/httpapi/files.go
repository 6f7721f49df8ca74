package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
)

// Upload limits beyond the file itself.
const (
	// multipartSlack is what a multipart body may carry besides the file
	// (boundaries, part headers, small fields).
	multipartSlack = 64 << 10
	// avatarMax is the largest avatar image, as the application enforces it.
	avatarMax = 5 << 20
)

type fileJSON struct {
	ID              int64     `json:"id"`
	RoomID          int64     `json:"room_id"`
	UserID          int64     `json:"user_id"`
	Filename        string    `json:"filename"`
	ContentType     string    `json:"content_type"`
	Size            int64     `json:"size"`
	FileURL         string    `json:"file_url"`
	ThumbnailURL    *string   `json:"thumbnail_url"`
	ThumbnailStatus string    `json:"thumbnail_status"`
	CreatedAt       time.Time `json:"created_at"`
}

// fileOf encodes files as viewer sees them: their links are signed for
// viewer.
func (s *Server) fileOf(viewer user.ID) func(a attachment.Attachment) fileJSON {
	return func(a attachment.Attachment) fileJSON {
		j := fileJSON{
			ID: int64(a.ID), RoomID: int64(a.RoomID), UserID: int64(a.UserID), Filename: a.Filename,
			ContentType: a.ContentType, Size: a.Size, FileURL: s.cfg.Files.FileURL(a, viewer),
			ThumbnailStatus: string(a.ThumbnailStatus), CreatedAt: a.CreatedAt.UTC(),
		}
		if link := s.cfg.Files.ThumbnailURL(a, viewer); link != "" {
			j.ThumbnailURL = &link
		}
		return j
	}
}

// files returns the file service, or Unavailable when the server was built
// without one.
func (s *Server) files() (attachment.Service, error) {
	if s.cfg.Files == nil {
		return nil, domain.Errorf(domain.Unavailable, "files_unavailable", "file sharing is not configured")
	}
	return s.cfg.Files, nil
}

// roomFiles is the file service and the path's room.
func (s *Server) roomFiles(c echo.Context) (attachment.Service, room.ID, error) {
	files, err := s.files()
	if err != nil {
		return nil, 0, err
	}
	id, err := roomID(c)
	return files, id, err
}

func (s *Server) uploadFile(c echo.Context) error {
	files, id, err := s.roomFiles(c)
	if err != nil {
		return err
	}
	part, body, err := filePart(c, files.MaxUpload()+multipartSlack)
	if err != nil {
		return err
	}
	a, err := files.Upload(c.Request().Context(), Actor(c), id, part.FileName(), part.Header.Get(echo.HeaderContentType), body, -1)
	if err != nil {
		return body.blame(err)
	}
	return c.JSON(http.StatusCreated, s.fileOf(Actor(c))(a))
}

func (s *Server) listFiles(c echo.Context) error {
	files, id, err := s.roomFiles(c)
	if err != nil {
		return err
	}
	var before, limit int64
	for name, v := range map[string]*int64{"before": &before, "limit": &limit} {
		if *v, err = queryInt(c, name); err != nil {
			return err
		}
	}
	as, err := files.List(c.Request().Context(), Actor(c), id, attachment.ID(before), int(limit))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, mapSlice(as, s.fileOf(Actor(c))))
}

func (s *Server) downloadFile(c echo.Context) error { return s.download(c, false) }

func (s *Server) downloadThumbnail(c echo.Context) error { return s.download(c, true) }

// download serves a file to a member (Bearer token) or to the holder of a
// signed link; a request with neither is unauthenticated.
func (s *Server) download(c echo.Context, thumbnail bool) error {
	files, err := s.files()
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var d attachment.Download
	if token, ok := bearerToken(c.Request()); ok {
		claims, err := s.cfg.Users.Authenticate(ctx, token)
		if err != nil {
			return err
		}
		c.Set(actorKey, claims.UserID)
		d, err = files.Open(ctx, claims.UserID, attachment.ID(id), thumbnail)
		if err != nil {
			return err
		}
	} else if q := c.QueryParams(); q.Has("sig") {
		if d, err = files.OpenSigned(ctx, attachment.ID(id), thumbnail, q); err != nil {
			return err
		}
	} else {
		return domain.Errorf(domain.Unauthenticated, "missing_token", "a bearer token or a signed link is required")
	}
	return serveDownload(c, d)
}

func (s *Server) downloadAvatar(c echo.Context) error {
	files, err := s.files()
	if err != nil {
		return err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	d, err := files.OpenAvatar(c.Request().Context(), user.ID(uid), c.Param("name"), c.QueryParams())
	if err != nil {
		return err
	}
	return serveDownload(c, d)
}

func (s *Server) uploadAvatar(c echo.Context) error {
	files, err := s.files()
	if err != nil {
		return err
	}
	_, body, err := filePart(c, avatarMax+multipartSlack)
	if err != nil {
		return err
	}
	if err := files.UploadAvatar(c.Request().Context(), Actor(c), body, -1); err != nil {
		return body.blame(err)
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "processing"})
}

// serveDownload streams d with range support. Only what the application
// marked Inline (raster images) may render in the browser; everything else
// is a download, and the sandbox policy keeps even a mislabelled document
// from running script with our origin.
func serveDownload(c echo.Context, d attachment.Download) error {
	defer d.Content.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, d.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	// Links are per user and expire; shared caches must not keep them.
	h.Set(echo.HeaderCacheControl, "private, max-age=300")
	disposition := "attachment"
	if d.Inline {
		disposition = "inline"
	}
	h.Set(echo.HeaderContentDisposition, contentDisposition(disposition, d.Filename))
	http.ServeContent(&problemStatus{ResponseWriter: c.Response()}, c.Request(), "", d.ModTime, d.Content)
	return nil
}

// problemStatus turns the errors http.ServeContent writes itself (416 for
// a range past the end, 412 for a failed If-Match) into problem+json, the
// shape of every other error; their plain-text bodies are dropped.
type problemStatus struct {
	http.ResponseWriter
	replaced bool
}

// serveContentCodes name the statuses http.ServeContent answers by itself.
var serveContentCodes = map[int]string{
	http.StatusRequestedRangeNotSatisfiable: "range_not_satisfiable",
	http.StatusPreconditionFailed:           "precondition_failed",
}

func (w *problemStatus) WriteHeader(code int) {
	if code < 400 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	name, ok := serveContentCodes[code]
	if !ok {
		name = "download_failed"
	}
	body, _ := json.Marshal(newProblem(code, name, http.StatusText(code))) // strings and an int: cannot fail
	h := w.Header()
	h.Set(echo.HeaderContentType, MIMEProblem)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	h.Del(echo.HeaderContentDisposition)
	w.replaced = true
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
}

func (w *problemStatus) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil // ServeContent's text/plain body
	}
	return w.ResponseWriter.Write(p)
}

func (w *problemStatus) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentDisposition names the file twice (RFC 6266): an ASCII fallback in
// filename and the exact UTF-8 name in filename*.
func contentDisposition(kind, name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return kind + `; filename="` + fallback + `"; filename*=UTF-8''` + encodeRFC5987(name)
}

// encodeRFC5987 percent-encodes all but RFC 5987's attr-char.
func encodeRFC5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x80 && (ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$&+-.^_`|~", ch) >= 0) {
			b.WriteByte(ch)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(ch)|0x100, 16)[1:]))
	}
	return b.String()
}

// filePart limits the request body to limit bytes and returns its
// multipart "file" part, streamed: nothing is buffered here.
func filePart(c echo.Context, limit int64) (*multipart.Part, *uploadBody, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, nil, errBodyTooLarge(limit)
	}
	mt, err := mediaType(r)
	if err != nil {
		return nil, nil, err
	}
	if mt != echo.MIMEMultipartForm {
		return nil, nil, unsupported("the body must be multipart/form-data with a file field")
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, malformed("the multipart body cannot be read", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, nil, &requestError{status: http.StatusBadRequest, code: "missing_file", detail: "the form has no file field"}
		}
		if err != nil {
			return nil, nil, (&uploadBody{err: err}).blame(err)
		}
		if part.FormName() == "file" {
			return part, &uploadBody{r: part}, nil
		}
	}
}

// uploadBody is a part being streamed to a use case. It keeps the first
// read error, so a body the client cut short or made too large is answered
// as the client's mistake rather than as a server fault.
type uploadBody struct {
	r   io.Reader
	err error
}

func (u *uploadBody) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && u.err == nil {
		u.err = err
	}
	return n, err
}

// blame returns the client's error when reading the body failed, else err.
func (u *uploadBody) blame(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case u.err == nil:
		return err
	case errors.As(u.err, &tooLarge):
		return errBodyTooLarge(tooLarge.Limit)
	case errors.Is(u.err, os.ErrDeadlineExceeded):
		return bodyTimedOut(u.err)
	default:
		return malformed("the upload was cut short or is not valid multipart", u.err)
	}
}

func errBodyTooLarge(limit int64) error {
	return &requestError{status: http.StatusRequestEntityTooLarge, code: "file_too_large", detail: "the upload is larger than " + strconv.FormatInt(limit-multipartSlack, 10) + " bytes"}
}
