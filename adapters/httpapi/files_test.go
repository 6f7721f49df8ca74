package httpapi

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
)

// fakeFiles records what the handlers parsed and returns canned results.
type fakeFiles struct {
	err       error // returned by every use case when set
	max       int64
	list      []attachment.Attachment
	download  attachment.Download
	gotActor  user.ID
	gotRoom   room.ID
	gotID     attachment.ID
	gotThumb  bool
	gotName   string
	gotType   string
	gotBody   []byte
	gotBefore attachment.ID
	gotLimit  int
	gotOwner  user.ID
	calls     []string
}

func (f *fakeFiles) record(call string, body io.Reader) error {
	f.calls = append(f.calls, call)
	if body != nil {
		b, err := io.ReadAll(body)
		f.gotBody = b
		if err != nil {
			return err
		}
	}
	return f.err
}

func (f *fakeFiles) Upload(_ context.Context, actor user.ID, r room.ID, name, declared string, body io.Reader, _ int64) (attachment.Attachment, error) {
	f.gotActor, f.gotRoom, f.gotName, f.gotType = actor, r, name, declared
	if err := f.record("Upload", body); err != nil {
		return attachment.Attachment{}, err
	}
	return attachment.Attachment{
		ID: 9, RoomID: r, UserID: actor, Filename: name, ContentType: "text/plain; charset=utf-8",
		Size: int64(len(f.gotBody)), ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: created,
	}, nil
}

func (f *fakeFiles) List(_ context.Context, actor user.ID, r room.ID, before attachment.ID, limit int) ([]attachment.Attachment, error) {
	f.gotActor, f.gotRoom, f.gotBefore, f.gotLimit = actor, r, before, limit
	return f.list, f.record("List", nil)
}

func (f *fakeFiles) Open(_ context.Context, actor user.ID, id attachment.ID, thumb bool) (attachment.Download, error) {
	f.gotActor, f.gotID, f.gotThumb = actor, id, thumb
	return f.download, f.record("Open", nil)
}

func (f *fakeFiles) UploadAvatar(_ context.Context, actor user.ID, body io.Reader, _ int64) error {
	f.gotActor = actor
	return f.record("UploadAvatar", body)
}

func (f *fakeFiles) OpenAvatar(_ context.Context, viewer, owner user.ID, name string) (attachment.Download, error) {
	f.gotActor, f.gotOwner, f.gotName = viewer, owner, name
	return f.download, f.record("OpenAvatar", nil)
}

// fakeSigner signs with a fixed signature and verifies what tests tell it:
// err when set, else the link's u parameter (5 when absent).
type fakeSigner struct {
	err      error
	gotPath  string
	gotQuery url.Values
}

func (s *fakeSigner) Sign(path string, u user.ID, _ time.Time) string {
	return path + "?u=" + itoa(int64(u)) + "&exp=1&sig=s"
}

func (s *fakeSigner) Verify(path string, q url.Values, _ time.Time) (user.ID, error) {
	s.gotPath, s.gotQuery = path, q
	if s.err != nil {
		return 0, s.err
	}
	if u, err := strconv.ParseInt(q.Get("u"), 10, 64); err == nil {
		return user.ID(u), nil
	}
	return 5, nil
}

func (f *fakeFiles) MaxUpload() int64 { return f.max }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// nopSeeker makes a bytes.Reader an io.ReadSeekCloser.
type nopSeeker struct{ *bytes.Reader }

func (nopSeeker) Close() error { return nil }

func download(body, ctype, name string, inline bool) attachment.Download {
	return attachment.Download{
		Content: nopSeeker{bytes.NewReader([]byte(body))}, Size: int64(len(body)), ModTime: created,
		ContentType: ctype, Filename: name, Inline: inline,
	}
}

// multipartBody builds a form with the given field holding content.
func multipartBody(t *testing.T, field, filename, ctype, content string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="` + field + `"; filename="` + filename + `"`}
	if ctype != "" {
		h["Content-Type"] = []string{ctype}
	}
	p, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte(content))
	w.Close()
	return b.String(), w.FormDataContentType()
}

func filesFixture(t *testing.T) (*fixture, *fakeFiles) {
	f, files, _ := signedFilesFixture(t)
	return f, files
}

func signedFilesFixture(t *testing.T) (*fixture, *fakeFiles, *fakeSigner) {
	files, signer := &fakeFiles{max: 1 << 10}, &fakeSigner{}
	f := newFixture(t, func(c *Config) { c.Files, c.Links = files, wire.NewLinks(signer, 0, nil) })
	return f, files, signer
}

func TestUploadFile(t *testing.T) {
	body, ct := multipartBody(t, "file", "../notes.txt", "text/html", "hello")
	f, files := filesFixture(t)
	w := f.do(t, request{method: "POST", path: "/rooms/3/files", body: body, contentType: ct, auth: true})
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	want := map[string]any{
		"id": float64(9), "room_id": float64(3), "user_id": float64(aliceID), "filename": "notes.txt",
		"content_type": "text/plain; charset=utf-8", "size": float64(5), "file_url": "/files/9?u=1&exp=1&sig=s",
		"thumbnail_url": nil, "thumbnail_status": "none", "created_at": "2026-01-02T02:04:05.000000Z",
	}
	if d := cmp.Diff(want, decodeBody(t, w)); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
	got := []any{files.gotActor, files.gotRoom, files.gotName, files.gotType, string(files.gotBody)}
	if d := cmp.Diff([]any{aliceID, room.ID(3), "notes.txt", "text/html", "hello"}, got); d != "" {
		t.Errorf("use case got (-want +got):\n%s", d)
	}
}

func TestUploadRefusals(t *testing.T) {
	good, ct := multipartBody(t, "file", "a.txt", "", "hello")
	noFile, noFileCT := multipartBody(t, "other", "a.txt", "", "hello")
	big, bigCT := multipartBody(t, "file", "big.bin", "", strings.Repeat("x", 1<<10+multipartSlack+1))
	for _, tc := range []struct {
		name   string
		path   string
		rq     request
		err    error
		status int
		code   string
	}{
		{"not multipart", "/rooms/3/files", request{body: "hello", contentType: "text/plain"}, nil, 415, "unsupported_media_type"},
		{"no file field", "/rooms/3/files", request{body: noFile, contentType: noFileCT}, nil, 400, "missing_file"},
		{"body over the limit", "/rooms/3/files", request{body: big, contentType: bigCT}, nil, 413, "file_too_large"},
		{"cut short", "/rooms/3/files", request{body: good[:len(good)-20], contentType: ct}, nil, 400, "malformed_request"},
		{"file over the limit", "/rooms/3/files", request{body: good, contentType: ct},
			domain.Errorf(domain.TooMany, "file_too_large", "too big"), 413, "file_too_large"},
		{"empty file", "/rooms/3/files", request{body: good, contentType: ct},
			domain.Errorf(domain.Invalid, "empty_file", "file is empty"), 422, "empty_file"},
		{"outsider", "/rooms/3/files", request{body: good, contentType: ct},
			domain.Errorf(domain.NotFound, "room_not_found", "room not found"), 404, "room_not_found"},
		{"bad room id", "/rooms/x/files", request{body: good, contentType: ct}, nil, 400, "invalid_id"},
		{"avatar not an image", "/users/me/avatar", request{body: good, contentType: ct},
			domain.Errorf(domain.Unsupported, "unsupported_image", "not an image"), 415, "unsupported_image"},
		{"avatar not multipart", "/users/me/avatar", request{body: "{}", contentType: "application/json"}, nil, 415, "unsupported_media_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files := filesFixture(t)
			files.err = tc.err
			tc.rq.method, tc.rq.path, tc.rq.auth = "POST", tc.path, true
			checkProblem(t, f.do(t, tc.rq), tc.status, tc.code)
		})
	}
}

// TestUploadStreamsChunkedBody checks the limit on a body without a
// Content-Length: the use case sees a read error, the client a 413.
func TestUploadStreamsChunkedBody(t *testing.T) {
	f, files := filesFixture(t)
	body, ct := multipartBody(t, "file", "big.bin", "", strings.Repeat("x", 4<<10+multipartSlack))
	r := httptest.NewRequest("POST", "/rooms/3/files", io.MultiReader(strings.NewReader(body)))
	r.ContentLength = -1
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Authorization", "Bearer "+aliceToken)
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	checkProblem(t, w, 413, "file_too_large")
	if len(files.gotBody) > 1<<10+multipartSlack {
		t.Errorf("the use case read %d bytes, more than the limit", len(files.gotBody))
	}
}

func TestListFiles(t *testing.T) {
	f, files := filesFixture(t)
	files.list = []attachment.Attachment{{ID: 5, RoomID: 3, UserID: 2, Filename: "cat.png", ContentType: "image/png", Size: 10,
		ThumbnailStatus: attachment.ThumbnailReady, CreatedAt: created}}
	w := f.do(t, request{method: "GET", path: "/rooms/3/files?before=8&limit=2", auth: true})
	if w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	want := []any{map[string]any{
		"id": float64(5), "room_id": float64(3), "user_id": float64(2), "filename": "cat.png",
		"content_type": "image/png", "size": float64(10), "file_url": "/files/5?u=1&exp=1&sig=s",
		"thumbnail_url": "/files/5/thumbnail?u=1&exp=1&sig=s", "thumbnail_status": "ready", "created_at": "2026-01-02T02:04:05.000000Z",
	}}
	if d := cmp.Diff(want, decodeBody(t, w)); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
	if files.gotBefore != 8 || files.gotLimit != 2 || files.gotRoom != 3 || files.gotActor != aliceID {
		t.Errorf("List got before %d limit %d room %d actor %d", files.gotBefore, files.gotLimit, files.gotRoom, files.gotActor)
	}
	files.list = nil
	if w := f.do(t, request{method: "GET", path: "/rooms/3/files", auth: true}); w.Body.String() != "[]\n" {
		t.Errorf("empty list = %q, want []", w.Body)
	}
	checkProblem(t, f.do(t, request{method: "GET", path: "/rooms/3/files"}), 401, "missing_token")
}

func TestDownload(t *testing.T) {
	for _, tc := range []struct {
		name        string
		path        string
		auth        bool
		header      []string
		dl          attachment.Download
		wantCall    string
		wantThumb   bool
		status      int
		wantBody    string
		disposition string
	}{
		{"member, attachment", "/files/7", true, nil, download("<html>hi</html>", "application/octet-stream", "page.html", false),
			"Open", false, 200, "<html>hi</html>", `attachment; filename="page.html"; filename*=UTF-8''page.html`},
		{"signed link, image inline", "/files/7/thumbnail?exp=1&sig=abc", false, nil, download("PNG", "image/png", "thumbnail-7.png", true),
			"Open", true, 200, "PNG", `inline; filename="thumbnail-7.png"; filename*=UTF-8''thumbnail-7.png`},
		{"non-ASCII name", "/files/7", true, nil, download("x", "text/plain", `ü "a".txt`, false),
			"Open", false, 200, "x", `attachment; filename="_ _a_.txt"; filename*=UTF-8''%C3%BC%20%22a%22.txt`},
		{"range", "/files/7", true, []string{"Range: bytes=2-4"}, download("0123456789", "text/plain", "n.txt", false),
			"Open", false, 206, "234", `attachment; filename="n.txt"; filename*=UTF-8''n.txt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files := filesFixture(t)
			files.download = tc.dl
			w := f.do(t, request{method: "GET", path: tc.path, auth: tc.auth, header: tc.header})
			if w.Code != tc.status || w.Body.String() != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body, tc.status, tc.wantBody)
			}
			if d := cmp.Diff([]string{tc.wantCall}, files.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if files.gotID != 7 || files.gotThumb != tc.wantThumb {
				t.Errorf("opened %d thumbnail=%v", files.gotID, files.gotThumb)
			}
			h := w.Header()
			got := map[string]string{}
			for _, k := range []string{"Content-Type", "X-Content-Type-Options", "Content-Disposition", "Content-Security-Policy", "Cache-Control", "Accept-Ranges"} {
				got[k] = h.Get(k)
			}
			want := map[string]string{
				"Content-Type": tc.dl.ContentType, "X-Content-Type-Options": "nosniff", "Content-Disposition": tc.disposition,
				"Content-Security-Policy": "sandbox", "Cache-Control": "private, max-age=300", "Accept-Ranges": "bytes",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("headers (-want +got):\n%s", d)
			}
		})
	}
}

// TestDownloadRedirectsToTheStore: a download the application made a link
// for is a redirect there, cached no longer than half the link's life; a
// link about to expire is not cached at all. Avatars alike.
func TestDownloadRedirectsToTheStore(t *testing.T) {
	const store = "https://files.example.com/chat/f/ab/cd.bin?X-Amz-Expires=300&X-Amz-Signature=abc"
	for _, tc := range []struct {
		name, path string
		auth       bool
		left       time.Duration
		wantCall   string
		wantCache  string
	}{
		{"file by token", "/files/7", true, 5 * time.Minute, "Open", "private, max-age=150"},
		{"thumbnail by link", "/files/7/thumbnail?u=1&exp=1&sig=abc", false, 5 * time.Minute, "Open", "private, max-age=150"},
		{"avatar by link", "/avatars/3/x.webp?u=1&exp=1&sig=abc", false, 5 * time.Minute, "OpenAvatar", "private, max-age=150"},
		{"link about to expire", "/files/7", true, 3 * time.Second, "Open", "no-store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files := filesFixture(t)
			files.download = attachment.Download{ContentType: "image/png", Filename: "x.png", Inline: true, URL: store, Expires: time.Now().Add(tc.left)}
			w := f.do(t, request{method: "GET", path: tc.path, auth: tc.auth})
			if w.Code != http.StatusFound || w.Header().Get("Location") != store {
				t.Fatalf("got %d to %q, want 302 to the store", w.Code, w.Header().Get("Location"))
			}
			// The test's clock runs on: a second less is as good.
			got, almost := w.Header().Get("Cache-Control"), strings.Replace(tc.wantCache, "150", "149", 1)
			if got != tc.wantCache && got != almost {
				t.Errorf("Cache-Control %q, want %q", got, tc.wantCache)
			}
			if d := cmp.Diff([]string{tc.wantCall}, files.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
	// Refusals are answered before any link exists.
	f, files := filesFixture(t)
	files.download = attachment.Download{URL: store, Expires: time.Now().Add(time.Minute)}
	files.err = domain.Errorf(domain.NotFound, "file_not_found", "file not found")
	if w := f.do(t, request{method: "GET", path: "/files/7", auth: true}); w.Code != 404 || w.Header().Get("Location") != "" {
		t.Errorf("a refused download: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}

// TestDownloadErrorsAreProblems: the errors http.ServeContent writes by
// itself are problem+json like every other error.
func TestDownloadErrorsAreProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"range past the end", []string{"Range: bytes=50-60"}, 416, "range_not_satisfiable"},
		{"failed If-Match", []string{"If-Match: \"nope\""}, 412, "precondition_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files := filesFixture(t)
			files.download = download("0123456789", "text/plain", "n.txt", false)
			w := f.do(t, request{method: "GET", path: "/files/7", auth: true, header: tc.header})
			checkProblem(t, w, tc.status, tc.code)
			if cd := w.Header().Get("Content-Disposition"); cd != "" {
				t.Errorf("a problem served with Content-Disposition %q", cd)
			}
			if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
				t.Errorf("Content-Length %q for a body of %d bytes", cl, w.Body.Len())
			}
		})
	}
}

func TestSignedLinkRedactedFromLog(t *testing.T) {
	f, files := filesFixture(t)
	files.download = download("x", "image/png", "t.png", true)
	if w := f.do(t, request{method: "GET", path: "/files/7/thumbnail?exp=99&sig=s3cr3tSig"}); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if log := f.logs.String(); strings.Contains(log, "s3cr3tSig") || !strings.Contains(log, "sig=REDACTED") {
		t.Errorf("access log shows the signature or lost the parameter:\n%s", log)
	}
}

func TestDownloadRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rq     request
		err    error
		status int
		code   string
	}{
		{"neither token nor link", request{path: "/files/7"}, nil, 401, "missing_token"},
		{"bad token", request{path: "/files/7?exp=1&sig=x", header: []string{"Authorization: Bearer nope"}}, nil, 401, "invalid_token"},
		{"bad signature", request{path: "/files/7?exp=1&sig=x"},
			domain.Errorf(domain.Unauthenticated, "invalid_signature", "bad link"), 401, "invalid_signature"},
		{"outsider", request{path: "/files/7", auth: true},
			domain.Errorf(domain.NotFound, "file_not_found", "file not found"), 404, "file_not_found"},
		{"bad id", request{path: "/files/-1/thumbnail", auth: true}, nil, 400, "invalid_id"},
		{"avatar bad signature", request{path: "/avatars/1/x.webp?exp=1&sig=x"},
			domain.Errorf(domain.Unauthenticated, "signature_expired", "expired"), 401, "signature_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files, signer := signedFilesFixture(t)
			if domain.KindOf(tc.err) == domain.Unauthenticated {
				signer.err = tc.err
			} else {
				files.err = tc.err
			}
			files.download = download("x", "text/plain", "x", false)
			tc.rq.method = "GET"
			checkProblem(t, f.do(t, tc.rq), tc.status, tc.code)
		})
	}
}

func TestAvatarRoutes(t *testing.T) {
	f, files, signer := signedFilesFixture(t)
	body, ct := multipartBody(t, "file", "me.png", "image/png", "PNGDATA")
	w := f.do(t, request{method: "POST", path: "/users/me/avatar", body: body, contentType: ct, auth: true})
	if w.Code != http.StatusAccepted || files.gotActor != aliceID || string(files.gotBody) != "PNGDATA" {
		t.Fatalf("upload: %d %s; actor %d body %q", w.Code, w.Body, files.gotActor, files.gotBody)
	}
	files.download = download("WEBP", "image/webp", "avatar.webp", true)
	w = f.do(t, request{method: "GET", path: "/avatars/4/ab12.webp?exp=5&sig=zz"})
	if w.Code != 200 || w.Body.String() != "WEBP" || w.Header().Get("Content-Type") != "image/webp" {
		t.Fatalf("download: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
	if files.gotOwner != 4 || files.gotActor != 5 || files.gotName != "ab12.webp" {
		t.Errorf("OpenAvatar got owner %d viewer %d name %q", files.gotOwner, files.gotActor, files.gotName)
	}
	if signer.gotPath != "/avatars/4/ab12.webp" || signer.gotQuery.Get("sig") != "zz" {
		t.Errorf("verified %q with %v", signer.gotPath, signer.gotQuery)
	}
}

func TestFilesUnconfigured(t *testing.T) {
	f := newFixture(t, nil)
	for _, rq := range []request{
		{method: "GET", path: "/rooms/1/files", auth: true},
		{method: "GET", path: "/files/1", auth: true},
		{method: "GET", path: "/avatars/1/x.webp"},
	} {
		checkProblem(t, f.do(t, rq), 503, "files_unavailable")
	}
}
