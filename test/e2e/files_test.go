package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/h2non/bimg"

	"chat/adapters/blob"
	"chat/adapters/images/imagestest"
	"chat/domain/user"
	"chat/test/proc"
	"chat/test/services"
)

// File scenarios run in both modes too. In scale-out mode the instances
// share UPLOAD_PATH (scaleOut gives both the same), and any instance's
// workers may run a job: events cross instances through Redis.
func TestFilesScaleOut(t *testing.T) { runFileScenarios(t, scaleOut(t), []byte(scaleOutSecret)) }
func TestFilesEmbedded(t *testing.T) { runFileScenarios(t, embedded(t), nil) }

// scaleOutSecret is scaleOut's JWT_SECRET, from which links are signed.
const scaleOutSecret = "e2e-secret-e2e-secret-e2e-secret-0123"

func runFileScenarios(t *testing.T, c cluster, secret []byte) {
	t.Run("image thumbnail across instances", func(t *testing.T) { thumbnailAcrossInstances(t, c) })
	t.Run("EXIF rotation", func(t *testing.T) { exifRotation(t, c) })
	t.Run("avatar", func(t *testing.T) { avatar(t, c) })
	t.Run("private files", func(t *testing.T) { privateFiles(t, c, secret) })
	t.Run("hostile uploads", func(t *testing.T) { hostileUploads(t, c) })
	t.Run("12-megapixel photo", func(t *testing.T) { bigPhoto(t, c) })
	t.Run("no server errors", func(t *testing.T) {
		for _, s := range []*server{c.A, c.B} {
			scanLines(s.logs.String(), func(line string) {
				if strings.Contains(line, `"status":500`) || strings.Contains(line, `"level":"ERROR"`) {
					t.Errorf("server error in %s's log: %s", s.URL, line)
				}
			})
		}
	})
}

// fileJSON is the wire shape of a stored file.
type fileJSON struct {
	ID              int64   `json:"id"`
	RoomID          int64   `json:"room_id"`
	UserID          int64   `json:"user_id"`
	Filename        string  `json:"filename"`
	ContentType     string  `json:"content_type"`
	Size            int64   `json:"size"`
	FileURL         string  `json:"file_url"`
	ThumbnailURL    *string `json:"thumbnail_url"`
	ThumbnailStatus string  `json:"thumbnail_status"`
	CreatedAt       string  `json:"created_at"`
}

// upload posts data as the multipart field "file" to path.
func (c *client) upload(path, filename, contentType string, data []byte) response {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := w.CreatePart(h)
	if err != nil {
		c.t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return do(c.t, "POST", c.base+path, c.token, w.FormDataContentType(), &b)
}

func (c *client) share(room int64, filename, contentType string, data []byte) fileJSON {
	c.t.Helper()
	r := c.upload(fmt.Sprintf("/rooms/%d/files", room), filename, contentType, data)
	if r.Status != 201 {
		c.t.Fatalf("upload %s: %d %s", filename, r.Status, r.Body)
	}
	var f fileJSON
	r.decode(c.t, &f)
	return f
}

// fileByID finds a file in the room's list.
func (c *client) fileByID(room, id int64) fileJSON {
	c.t.Helper()
	var list []fileJSON
	c.must(200, "GET", fmt.Sprintf("/rooms/%d/files", room), nil, &list)
	for _, f := range list {
		if f.ID == id {
			return f
		}
	}
	c.t.Fatalf("file %d not in room %d's list", id, room)
	return fileJSON{}
}

// eventually polls cond every 100 ms until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nextFileEvent waits for an event of type ty about file id.
func (s *socket) nextFileEvent(ty string, id int64) event {
	s.t.Helper()
	for {
		if e := s.next(ty); e.FileID == id {
			return e
		}
	}
}

// fetch GETs a server-relative link (a signed one needs no header).
func fetch(t *testing.T, s *server, link, token string) response {
	t.Helper()
	return do(t, "GET", s.URL+link, token, "", nil)
}

// decodeImage reads an image's format and size with libvips, and converts
// it to PNG for the pixels (Go's image package cannot decode WebP).
func decodeImage(t *testing.T, data []byte) (string, image.Image) {
	t.Helper()
	img := bimg.NewImage(data)
	typ := img.Type()
	pngData, err := img.Convert(bimg.PNG)
	if err != nil {
		t.Fatalf("decode %s image: %v", typ, err)
	}
	decoded, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	return typ, decoded
}

func isMarker(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xc000 && g < 0x4000 && b < 0x4000
}

func thumbnailAcrossInstances(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("photos", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sb := bob.dial(room.ID, "") // on B

	photo := imagestest.PNG(t, 1000, 500)
	f := alice.share(room.ID, "holiday.png", "image/png", photo) // on A
	if f.ContentType != "image/png" || f.Size != int64(len(photo)) || f.ThumbnailStatus != "pending" || f.ThumbnailURL != nil {
		t.Errorf("stored %+v", f)
	}
	shared := sb.nextFileEvent("file_shared", f.ID)
	if shared.RoomID != room.ID || shared.UserID != alice.ID || shared.Filename != "holiday.png" || shared.FileURL == "" || shared.Size != f.Size {
		t.Errorf("file_shared %+v", shared)
	}
	updated := sb.nextFileEvent("file_updated", f.ID)
	if updated.ThumbnailURL == "" {
		t.Fatalf("file_updated without a thumbnail_url: %+v", updated)
	}

	// The signed link alone, no Authorization header, from the other
	// instance.
	r := fetch(t, c.B, updated.ThumbnailURL, "")
	if r.Status != 200 {
		t.Fatalf("thumbnail: %d %s", r.Status, r.Body)
	}
	typ, img := decodeImage(t, r.Body)
	if ct := r.Header.Get("Content-Type"); ct != "image/"+typ {
		t.Errorf("thumbnail served as %q, decodes as %s", ct, typ)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 200 {
		t.Errorf("thumbnail is %d×%d, want 400×200 (fits 400×400, aspect kept)", b.Dx(), b.Dy())
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("thumbnail without nosniff")
	}

	// The original, by its link and by token, with a range.
	if r := fetch(t, c.B, shared.FileURL, ""); r.Status != 200 || !bytes.Equal(r.Body, photo) {
		t.Errorf("original by link: %d, %d bytes", r.Status, len(r.Body))
	}
	req, _ := http.NewRequest("GET", c.A.URL+fmt.Sprintf("/files/%d", f.ID), nil)
	req.Header.Set("Authorization", "Bearer "+bob.token)
	req.Header.Set("Range", "bytes=0-7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 206 || resp.ContentLength != 8 {
		t.Errorf("range request: %d, %d bytes", resp.StatusCode, resp.ContentLength)
	}

	listed := bob.fileByID(room.ID, f.ID)
	if listed.ThumbnailStatus != "ready" || listed.ThumbnailURL == nil {
		t.Errorf("listed after the job: %+v", listed)
	}
}

func exifRotation(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	room := alice.createRoom("rotated", false)
	s := alice.dial(room.ID, "")
	// Stored 1200×800; orientation 6 displays it 800×1200, the marker
	// corner (top left as stored) at the top right.
	f := alice.share(room.ID, "phone.jpg", "image/jpeg", imagestest.JPEGWithOrientation(t, 1200, 800, 6))
	e := s.nextFileEvent("file_updated", f.ID)
	r := fetch(t, c.B, e.ThumbnailURL, "")
	if r.Status != 200 {
		t.Fatalf("thumbnail: %d %s", r.Status, r.Body)
	}
	if bytes.Contains(r.Body, []byte(imagestest.ExifMake)) {
		t.Error("the thumbnail kept the EXIF metadata")
	}
	_, img := decodeImage(t, r.Body)
	b := img.Bounds()
	if b.Dx() > 400 || b.Dy() != 400 || b.Dx() < 260 || b.Dx() > 270 {
		t.Fatalf("thumbnail is %d×%d, want about 267×400 (rotated)", b.Dx(), b.Dy())
	}
	if !isMarker(img.At(b.Dx()-10, 10)) || isMarker(img.At(10, 10)) {
		t.Errorf("marker corner not at the top right: top-left %v, top-right %v", img.At(10, 10), img.At(b.Dx()-10, 10))
	}
}

func avatar(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	r := alice.upload("/users/me/avatar", "me.jpg", "image/jpeg", imagestest.JPEGWithOrientation(t, 600, 400, 6))
	if r.Status != 202 {
		t.Fatalf("avatar upload: %d %s", r.Status, r.Body)
	}
	onB := alice.on(c.B)
	var me struct {
		AvatarURL *string `json:"avatar_url"`
	}
	eventually(t, "avatar_url on the other instance", func() bool {
		onB.must(200, "GET", "/users/me", nil, &me)
		return me.AvatarURL != nil
	})
	got := fetch(t, c.B, *me.AvatarURL, "")
	if got.Status != 200 {
		t.Fatalf("avatar: %d %s", got.Status, got.Body)
	}
	if bytes.Contains(got.Body, []byte(imagestest.ExifMake)) {
		t.Error("the avatar kept the EXIF metadata")
	}
	typ, img := decodeImage(t, got.Body)
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("avatar is %d×%d, want 256×256", b.Dx(), b.Dy())
	}
	if got.Header.Get("Content-Type") != "image/"+typ {
		t.Errorf("avatar served as %q, decodes as %s", got.Header.Get("Content-Type"), typ)
	}
	// Members see it too.
	room := alice.createRoom("faces", false)
	var members []struct {
		ID        int64   `json:"id"`
		AvatarURL *string `json:"avatar_url"`
	}
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room.ID), nil, &members)
	if len(members) != 1 || members[0].AvatarURL == nil {
		t.Errorf("members %+v, want alice with an avatar_url", members)
	}
	for _, bad := range []struct {
		name, ctype string
		data        []byte
		want        int
	}{
		{"notes.txt", "text/plain", []byte("not an image"), 415},
		{"drawing.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415},
		{"empty.png", "image/png", nil, 422},
		{"bomb.png", "image/png", imagestest.BombPNG(100000, 100000), 422},
		{"big.png", "image/png", make([]byte, 5<<20+1), 413},
	} {
		if r := alice.upload("/users/me/avatar", bad.name, bad.ctype, bad.data); r.Status != bad.want {
			t.Errorf("avatar %s: %d %s, want %d", bad.name, r.Status, r.Body, bad.want)
		}
	}
}

func privateFiles(t *testing.T, c cluster, secret []byte) {
	owner, outsider := newUser(t, c.A, "owner"), newUser(t, c.B, "outsider")
	room := owner.createRoom("secret", true)
	f := owner.share(room.ID, "plans.txt", "text/plain", []byte("the plans"))
	filePath := fmt.Sprintf("/files/%d", f.ID)

	for _, tc := range []struct {
		name, path, token string
		want              []int
	}{
		{"outsider lists", fmt.Sprintf("/rooms/%d/files", room.ID), outsider.token, []int{403, 404}},
		{"outsider uploads", "", outsider.token, []int{403, 404}},
		{"outsider downloads", filePath, outsider.token, []int{403, 404}},
		{"outsider thumbnail", filePath + "/thumbnail", outsider.token, []int{403, 404}},
		{"anonymous lists", fmt.Sprintf("/rooms/%d/files", room.ID), "", []int{401}},
		{"anonymous downloads", filePath, "", []int{401}},
		{"forged token", filePath, "not.a.token", []int{401}},
	} {
		var r response
		if tc.path == "" {
			r = outsider.upload(fmt.Sprintf("/rooms/%d/files", room.ID), "x.txt", "", []byte("x"))
		} else {
			r = do(t, "GET", c.B.URL+tc.path, tc.token, "", nil)
		}
		ok := false
		for _, w := range tc.want {
			ok = ok || r.Status == w
		}
		if !ok || bytes.Contains(r.Body, []byte("the plans")) {
			t.Errorf("%s: %d %s, want one of %v", tc.name, r.Status, r.Body, tc.want)
		}
	}

	// The link works without a header for the member it was made for, on
	// any instance, until it is changed or expires.
	if r := fetch(t, c.B, f.FileURL, ""); r.Status != 200 || string(r.Body) != "the plans" {
		t.Fatalf("signed link: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(f.FileURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("u") != fmt.Sprint(owner.ID) {
		t.Errorf("the owner's link names user %q, want %d", q.Get("u"), owner.ID)
	}
	who, exp, sig := "u="+q.Get("u"), "&exp="+q.Get("exp"), "&sig="+q.Get("sig")
	tampered := []string{
		fmt.Sprintf("/files/%d?%s", f.ID+1, u.RawQuery), // another file, same signature
		filePath + "/thumbnail?" + u.RawQuery,           // the thumbnail, same signature
		filePath + "?" + who + exp + "&sig=" + strings.Repeat("A", len(q.Get("sig"))),
		filePath + "?" + who + "&exp=" + fmt.Sprint(time.Now().Add(24*time.Hour).Unix()) + sig,
		filePath + "?" + who + sig,
		filePath + "?exp=" + q.Get("exp") + sig,                // no user
		filePath + "?u=" + fmt.Sprint(outsider.ID) + exp + sig, // the owner's link re-pointed at the outsider
	}
	if secret != nil {
		// Correctly signed, but expired; and correctly signed for a user
		// who is not a member.
		tampered = append(tampered, blob.NewSigner(secret).Sign(filePath, user.ID(owner.ID), time.Now().Add(-time.Minute)),
			blob.NewSigner(secret).Sign(filePath, user.ID(outsider.ID), time.Now().Add(time.Hour)))
	}
	for _, link := range tampered {
		if r := fetch(t, c.A, link, ""); (r.Status != 401 && r.Status != 403 && r.Status != 404) || bytes.Contains(r.Body, []byte("the plans")) {
			t.Errorf("link %s: %d %s", link, r.Status, r.Body)
		}
	}

	// A member removed from the room keeps only dead links.
	friend := newUser(t, c.B, "friend")
	owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", room.ID), map[string]any{"user_id": friend.ID}, nil)
	theirs := friend.fileByID(room.ID, f.ID)
	if r := fetch(t, c.A, theirs.FileURL, ""); r.Status != 200 {
		t.Fatalf("member's link: %d %s", r.Status, r.Body)
	}
	owner.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", room.ID, friend.ID), nil, nil)
	for _, s := range []*server{c.A, c.B} {
		if r := fetch(t, s, theirs.FileURL, ""); r.Status != 404 || bytes.Contains(r.Body, []byte("the plans")) {
			t.Errorf("removed member's link: %d %s, want 404", r.Status, r.Body)
		}
	}
}

func hostileUploads(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	room := alice.createRoom("hostile", false)
	base := fmt.Sprintf("/rooms/%d/files", room.ID)

	if r := alice.upload(base, "empty.txt", "text/plain", nil); r.Status < 400 || r.Status >= 500 {
		t.Errorf("zero bytes: %d %s", r.Status, r.Body)
	}
	if r := alice.upload(base, "huge.bin", "", make([]byte, 25<<20+1)); r.Status != 413 {
		t.Errorf("over MAX_UPLOAD_BYTES: %d %s", r.Status, r.Body)
	}

	// A text file calling itself a PNG: stored as text, served as a
	// download, no thumbnail.
	fake := alice.share(room.ID, "cat.png", "image/png", []byte("just some text, honest"))
	if !strings.HasPrefix(fake.ContentType, "text/plain") || fake.ThumbnailStatus != "none" {
		t.Errorf("text named .png stored as %q, thumbnail %q", fake.ContentType, fake.ThumbnailStatus)
	}
	r := fetch(t, c.B, fake.FileURL, "")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("text named .png served as %q, %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	if r := fetch(t, c.B, fmt.Sprintf("/files/%d/thumbnail", fake.ID), alice.token); r.Status != 404 {
		t.Errorf("thumbnail of a text file: %d", r.Status)
	}

	// Active content is never served inline, whatever it is called.
	for _, active := range []struct{ name, body string }{
		{"page.html", "<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"},
		{"logo.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
	} {
		f := alice.share(room.ID, active.name, "image/svg+xml", []byte(active.body))
		r := fetch(t, c.B, f.FileURL, "")
		ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition")
		if strings.Contains(ct, "html") || strings.Contains(ct, "svg") || strings.Contains(ct, "xml") || !strings.HasPrefix(cd, "attachment") ||
			!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s served as %q, %q, CSP %q", active.name, ct, cd, r.Header.Get("Content-Security-Policy"))
		}
	}

	// A path in the name is dropped.
	if f := alice.share(room.ID, "../../etc/passwd", "", []byte("x")); f.Filename != "passwd" {
		t.Errorf("filename %q, want passwd", f.Filename)
	}

	// A truncated image and a pixel bomb are kept as files whose
	// thumbnail failed, at once or when the job gives up.
	photo := imagestest.JPEG(t, 800, 600)
	for _, bad := range []struct {
		name string
		data []byte
	}{
		{"truncated.jpg", photo[:len(photo)/2]},
		{"bomb.png", imagestest.BombPNG(100000, 100000)},
		{"bomb.webp", imagestest.BombWebP(16000, 16000)},
		{"hollow.png", imagestest.BombPNG(64, 64)},
	} {
		f := alice.share(room.ID, bad.name, "", bad.data)
		eventually(t, bad.name+" marked failed", func() bool {
			return alice.fileByID(room.ID, f.ID).ThumbnailStatus == "failed"
		})
		if r := fetch(t, c.A, f.FileURL, ""); r.Status != 200 || strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") {
			t.Errorf("%s download: %d, %q", bad.name, r.Status, r.Header.Get("Content-Disposition"))
		}
	}
}

// cameraJPEG is a w×h JPEG with sensor-like noise, so it compresses like
// a photo (a few MB for 12 MP) rather than like a smooth gradient.
func cameraJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8(x*200/w + rng.IntN(48))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+rng.IntN(56)), uint8(100+rng.IntN(56))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bigPhoto measures upload to file_updated for a 12-megapixel JPEG.
func bigPhoto(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("camera", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sb := bob.dial(room.ID, "")
	photo := cameraJPEG(t, 4000, 3000)
	start := time.Now()
	f := alice.share(room.ID, "12mp.jpg", "image/jpeg", photo)
	uploaded := time.Since(start)
	e := sb.nextFileEvent("file_updated", f.ID)
	t.Logf("12-MP JPEG (%.1f MB): upload answered in %v, file_updated after %v", float64(len(photo))/1e6, uploaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	r := fetch(t, c.B, e.ThumbnailURL, "")
	_, img := decodeImage(t, r.Body)
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Errorf("thumbnail is %d×%d, want 400×300", b.Dx(), b.Dy())
	}
}

// TestWorkerProcess runs the API with WORKERS=0 and the jobs in a separate
// `chatd worker`: the API instance leaves thumbnails pending, the worker
// makes them and the event reaches the API instance's sockets.
func TestWorkerProcess(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET": scaleOutSecret, "UPLOAD_PATH": t.TempDir(), "WORKERS": "0",
	}
	api := start(t, env)
	alice := newUser(t, api, "alice")
	room := alice.createRoom("worker", false)
	s := alice.dial(room.ID, "")
	f := alice.share(room.ID, "queued.png", "image/png", imagestest.PNG(t, 640, 480))
	s.nextFileEvent("file_shared", f.ID)
	if got := alice.fileByID(room.ID, f.ID).ThumbnailStatus; got != "pending" {
		t.Fatalf("with WORKERS=0 and no worker the thumbnail is %q, want pending", got)
	}

	worker := exec.Command(chatdBin, "worker")
	worker.Env = append(os.Environ(), "LOG_LEVEL=info", "SHUTDOWN_GRACE=5s")
	for k, v := range env {
		worker.Env = append(worker.Env, k+"="+v)
	}
	logs := &proc.Logs{}
	worker.Stdout, worker.Stderr = logs, logs
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- worker.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	})

	if e := s.nextFileEvent("file_updated", f.ID); e.ThumbnailURL == "" {
		t.Errorf("file_updated without thumbnail_url: %+v", e)
	}
	if got := alice.fileByID(room.ID, f.ID).ThumbnailStatus; got != "ready" {
		t.Errorf("after the worker ran: %q, want ready", got)
	}
	_ = worker.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("worker exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = worker.Process.Kill()
		t.Error("worker did not stop within 20s of SIGTERM")
	}
}
