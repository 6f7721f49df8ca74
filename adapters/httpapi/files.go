package httpapi

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
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

// files returns the file service, or Unavailable when the server was built
// without one.
func (s *Server) files() (attachment.Service, error) {
	if s.cfg.Files == nil || s.cfg.Links == nil {
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
	return c.JSON(http.StatusCreated, wire.FileOf(s.cfg.Links, Actor(c))(a))
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
	return c.JSON(http.StatusOK, wire.List(as, wire.FileOf(s.cfg.Links, Actor(c))))
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
		viewer, err := s.cfg.Links.VerifyFile(attachment.ID(id), thumbnail, q)
		if err != nil {
			return err
		}
		if d, err = files.Open(ctx, viewer, attachment.ID(id), thumbnail); err != nil {
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
	viewer, err := s.cfg.Links.VerifyAvatar(user.ID(uid), c.Param("name"), c.QueryParams())
	if err != nil {
		return err
	}
	d, err := files.OpenAvatar(c.Request().Context(), viewer, user.ID(uid), c.Param("name"))
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
	return c.JSON(http.StatusAccepted, wire.State{Status: "processing"})
}

// serveDownload streams d with range support. Only what the application
// marked Inline (raster images) may render in the browser; everything else
// is a download, and the sandbox policy keeps even a mislabelled document
// from running script with our origin.
func serveDownload(c echo.Context, d attachment.Download) error {
	if d.URL != "" {
		return redirectDownload(c, d)
	}
	defer d.Content.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, d.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	// Links are per user and expire; shared caches must not keep them.
	h.Set(echo.HeaderCacheControl, "private, max-age=300")
	h.Set(echo.HeaderContentDisposition, wire.ContentDisposition(d.Inline, d.Filename))
	http.ServeContent(&problemStatus{ResponseWriter: c.Response()}, c.Request(), "", d.ModTime, d.Content)
	return nil
}

// redirectDownload sends the client to a link straight to the blob store,
// which answers with d's Content-Type and Content-Disposition itself. The
// redirect may be kept by the browser for half the link's remaining life,
// so a page shown again reuses the link, and the bytes it cached with it,
// without ever following a link that has expired.
func redirectDownload(c echo.Context, d attachment.Download) error {
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	cache := "no-store"
	if left := time.Until(d.Expires) / 2; left >= 2*time.Second {
		cache = "private, max-age=" + strconv.Itoa(int(left/time.Second))
	}
	h.Set(echo.HeaderCacheControl, cache)
	return c.Redirect(http.StatusFound, d.URL)
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
	body := newProblem(code, name, http.StatusText(code)).Marshal()
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
			return nil, nil, wire.Refuse(http.StatusBadRequest, "missing_file", "the form has no file field", nil)
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
	return wire.Refuse(http.StatusRequestEntityTooLarge, "file_too_large", "the upload is larger than "+strconv.FormatInt(limit-multipartSlack, 10)+" bytes", nil)
}
