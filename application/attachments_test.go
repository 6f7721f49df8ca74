package application_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/h2non/bimg"

	"chat/adapters/blob"
	"chat/adapters/images"
	"chat/adapters/images/imagestest"
	"chat/adapters/memory"
	"chat/adapters/wire"
	"chat/application"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
	"chat/test/services"
)

// filesClock is a clock the test moves.
type filesClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *filesClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *filesClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// flakyImages fails the next n calls with a transient (non-domain) error.
type flakyImages struct {
	ports.ImageProcessor
	mu     sync.Mutex
	n      int
	during func() // runs inside each Thumbnail call when set
}

func (f *flakyImages) Thumbnail(ctx context.Context, data []byte, w, h int) ([]byte, ports.ImageInfo, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	during := f.during
	f.mu.Unlock()
	if during != nil {
		during()
	}
	if fail {
		return nil, ports.ImageInfo{}, errors.New("out of worker memory")
	}
	return f.ImageProcessor.Thumbnail(ctx, data, w, h)
}

// filesFixture is Files on the memory adapters, the disk blob store and the
// real image processor: alice owns a private room bob belongs to; carol is
// an outsider.
type filesFixture struct {
	t                 *testing.T
	app               *application.App
	files             *application.Files
	links             *wire.Links
	users             ports.UserStore
	cache             *memory.Cache
	blobs             ports.BlobStore
	blobRoot          string // the disk store's root; "" on another store
	images            *flakyImages
	queue             *memory.JobQueue
	clock             *filesClock
	alice, bob, carol user.User
	room              room.Room
	events            chan ports.Event
}

const filesMax = 1 << 20

func newFilesFixture(t *testing.T) *filesFixture {
	t.Helper()
	root := t.TempDir()
	disk, err := blob.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	f := newFilesFixtureOn(t, disk, nil)
	f.blobRoot = root
	return f
}

// newFilesFixtureOn is the fixture on another blob store, with downloads
// linked to the store when linker is not nil.
func newFilesFixtureOn(t *testing.T, blobs ports.BlobStore, linker ports.BlobLinker) *filesFixture {
	t.Helper()
	ctx := context.Background()
	st := memory.NewStores()
	d := memoryDeps(t, st)
	bus, cache := d.Bus, memory.NewCache()
	f := &filesFixture{t: t, users: st.Users(), cache: cache, queue: &memory.JobQueue{}, blobs: blobs,
		clock: &filesClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}, events: make(chan ports.Event, 100)}
	var err error
	d.Cache, d.Blobs = cache, f.blobs
	app := mustNew(t, d)
	f.app = app
	f.images = &flakyImages{ImageProcessor: images.New()}
	signer := blob.NewSigner([]byte("test-secret"))
	f.links = wire.NewLinks(signer, 0, f.clock.Now)
	f.files = application.NewFiles(application.FilesDeps{
		Rooms: app.Rooms, Users: st.Users(), Cache: cache, Attachments: st.Attachments(f.queue),
		Blobs: f.blobs, Images: f.images, Jobs: f.queue, Bus: bus, DetectType: http.DetectContentType,
		Clock: f.clock, MaxUpload: filesMax, Linker: linker,
	})
	reg := func(name string) user.User {
		u, err := app.Users.Register(ctx, user.Registration{Username: name, Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.alice, f.bob, f.carol = reg("alice"), reg("bob"), reg("carol")
	if f.room, err = app.Rooms.Create(ctx, f.alice.ID, room.Spec{Name: "secret", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Rooms.AddMember(ctx, f.alice.ID, f.room.ID, f.bob.ID); err != nil {
		t.Fatal(err)
	}
	sub, err := bus.Subscribe(ctx, f.room.ID, func(e ports.Event) { f.events <- e })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return f
}

func (f *filesFixture) upload(u user.User, name string, data []byte) (attachment.Attachment, error) {
	return f.files.Upload(context.Background(), u.ID, f.room.ID, name, "", bytes.NewReader(data), int64(len(data)))
}

// runJobs runs the queued jobs the way the River workers do and returns
// their errors in order.
func (f *filesFixture) runJobs() []error {
	var errs []error
	for _, j := range f.queue.Take() {
		switch j.Kind {
		case ports.JobThumbnail:
			errs = append(errs, f.files.ProcessThumbnail(context.Background(), j.AttachmentID))
		case ports.JobAvatar:
			errs = append(errs, f.files.ProcessAvatar(context.Background(), j.UserID, j.BlobKey))
		}
	}
	return errs
}

// frame waits for the next event and decodes its frame as bob's socket
// gets it: with its links signed for bob.
func (f *filesFixture) frame() map[string]any {
	f.t.Helper()
	select {
	case e := <-f.events:
		if e.Kind() != ports.EventFile || e.RoomID != f.room.ID {
			f.t.Fatalf("event %+v, want a file event of room %d", e, f.room.ID)
		}
		var m map[string]any
		if err := json.Unmarshal(wire.NewFrames(f.links).Encode(e).For(f.bob.ID), &m); err != nil {
			f.t.Fatal(err)
		}
		return m
	case <-time.After(5 * time.Second):
		f.t.Fatal("no event")
		return nil
	}
}

func (f *filesFixture) noEvent() {
	f.t.Helper()
	select {
	case e := <-f.events:
		f.t.Fatalf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

// blobFiles lists the stored objects.
func (f *filesFixture) blobFiles() []string {
	f.t.Helper()
	out := []string{}
	err := filepath.WalkDir(f.blobRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(f.blobRoot, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// openLink follows a signed link as an anonymous browser would.
func (f *filesFixture) openLink(link string) (application.Download, error) {
	f.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		f.t.Fatal(err)
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	switch {
	case parts[0] == "files":
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			f.t.Fatal(err)
		}
		return f.openSigned(attachment.ID(id), len(parts) == 3 && parts[2] == "thumbnail", u.Query())
	case parts[0] == "avatars" && len(parts) == 3:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			f.t.Fatal(err)
		}
		viewer, err := f.links.VerifyAvatar(user.ID(id), parts[2], u.Query())
		if err != nil {
			return application.Download{}, err
		}
		return f.files.OpenAvatar(context.Background(), viewer, user.ID(id), parts[2])
	}
	f.t.Fatalf("unexpected link %q", link)
	return application.Download{}, nil
}

// openSigned opens a file by its link's query, as the HTTP adapter does:
// wire checks the signature, the application the access of the link's user.
func (f *filesFixture) openSigned(id attachment.ID, thumbnail bool, q url.Values) (application.Download, error) {
	viewer, err := f.links.VerifyFile(id, thumbnail, q)
	if err != nil {
		return application.Download{}, err
	}
	return f.files.Open(context.Background(), viewer, id, thumbnail)
}

func readDownload(t *testing.T, d application.Download, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer d.Content.Close()
	b, err := io.ReadAll(d.Content)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != d.Size {
		t.Errorf("read %d bytes, Size says %d", len(b), d.Size)
	}
	return b
}

func filesWantKind(t *testing.T, what string, err error, kind domain.Kind, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: err = nil, want %v", what, kind)
	}
	if domain.KindOf(err) != kind || code != "" && domain.CodeOf(err) != code {
		t.Fatalf("%s: err = %v (kind %v, code %s), want kind %v code %q", what, err, domain.KindOf(err), domain.CodeOf(err), kind, code)
	}
}

func TestFilesUploadImageMakesThumbnail(t *testing.T) {
	f := newFilesFixture(t)
	png := imagestest.PNG(t, 1200, 800)
	a, err := f.upload(f.bob, `..\..\etc/holiday "cat".PNG`, png)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	want := attachment.Attachment{
		ID: a.ID, RoomID: f.room.ID, UserID: f.bob.ID, Filename: "holiday cat.PNG", ContentType: "image/png",
		Size: int64(len(png)), BlobKey: a.BlobKey, ThumbnailStatus: attachment.ThumbnailPending, CreatedAt: f.clock.Now(),
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("attachment (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(a.BlobKey, "f/") || strings.Contains(a.BlobKey, "cat") {
		t.Errorf("blob key %q is not a generated key", a.BlobKey)
	}

	shared := f.frame()
	fileURL, _ := shared["file_url"].(string)
	delete(shared, "file_url")
	wantShared := map[string]any{
		"type": "file_shared", "room_id": float64(f.room.ID), "user_id": float64(f.bob.ID), "file_id": float64(a.ID),
		"filename": "holiday cat.PNG", "content_type": "image/png", "size": float64(len(png)),
		"thumbnail_status": "pending",
	}
	if diff := cmp.Diff(wantShared, shared); diff != "" {
		t.Errorf("file_shared (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(fileURL, "/files/"+strconv.FormatInt(int64(a.ID), 10)+"?u="+strconv.FormatInt(int64(f.bob.ID), 10)+"&exp=") {
		t.Errorf("file_url = %q", fileURL)
	}
	d, err := f.openLink(fileURL)
	got := readDownload(t, d, err)
	if !bytes.Equal(got, png) {
		t.Error("the signed link does not serve the uploaded bytes")
	}

	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v, want one successful thumbnail job", errs)
	}
	updated := f.frame()
	thumbURL, _ := updated["thumbnail_url"].(string)
	delete(updated, "thumbnail_url")
	if diff := cmp.Diff(map[string]any{"type": "file_updated", "room_id": float64(f.room.ID), "file_id": float64(a.ID), "thumbnail_status": "ready"}, updated); diff != "" {
		t.Errorf("file_updated (-want +got):\n%s", diff)
	}
	d, err = f.openLink(thumbURL)
	thumb := readDownload(t, d, err)
	if d.ContentType != "image/webp" || !d.Inline {
		t.Errorf("thumbnail served as %q inline=%v, want image/webp inline", d.ContentType, d.Inline)
	}
	size, err := bimg.NewImage(thumb).Size()
	if err != nil || size.Width != 400 || size.Height != 267 {
		t.Errorf("thumbnail size %+v (%v), want 400x267", size, err)
	}

	// Members open it too, and the list carries the thumbnail.
	d, err = f.files.Open(context.Background(), f.alice.ID, a.ID, false)
	readDownload(t, d, err)
	if d.ContentType != "image/png" || !d.Inline || d.Filename != "holiday cat.PNG" {
		t.Errorf("download = %+v, want an inline image/png named like the upload", d)
	}
	list, err := f.files.List(context.Background(), f.alice.ID, f.room.ID, 0, 0)
	if err != nil || len(list) != 1 || list[0].ThumbnailStatus != attachment.ThumbnailReady || f.links.Thumbnail(list[0], f.alice.ID) == "" {
		t.Errorf("List = %+v, %v; want the file with a ready thumbnail", list, err)
	}

	// A repeated job (River retried after a crash) changes nothing.
	if err := f.files.ProcessThumbnail(context.Background(), a.ID); err != nil {
		t.Errorf("repeated job: %v", err)
	}
	f.noEvent()
}

func TestFilesUploadKinds(t *testing.T) {
	jpg := imagestest.JPEG(t, 300, 200)
	for _, tc := range []struct {
		name        string
		filename    string
		declared    string
		data        []byte
		wantType    string
		wantStatus  attachment.ThumbnailStatus
		wantInline  bool
		wantErr     domain.Kind
		wantErrCode string
	}{
		{name: "jpeg", filename: "a.jpg", data: jpg, wantType: "image/jpeg", wantStatus: attachment.ThumbnailPending, wantInline: true},
		{name: "webp named .png", filename: "a.png", data: imagestest.WebP(t, 50, 50), wantType: "image/webp", wantStatus: attachment.ThumbnailPending, wantInline: true},
		{name: "gif", filename: "a.gif", data: imagestest.GIF(t, 50, 50), wantType: "image/gif", wantStatus: attachment.ThumbnailPending, wantInline: true},
		{name: "text named .png", filename: "x.png", declared: "image/png", data: []byte("just text"), wantType: "text/plain; charset=utf-8", wantStatus: attachment.ThumbnailNone},
		{name: "html", filename: "x.html", declared: "text/html", data: []byte("<!DOCTYPE html><script>alert(1)</script>"), wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "svg", filename: "x.svg", declared: "image/svg+xml", data: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "binary with an unknown declared type", filename: "x.bin", declared: "application/x-chat-test", data: []byte{0, 1, 2, 3, 4}, wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "binary declared as html", filename: "x.bin", declared: "text/html", data: []byte{0, 1, 2, 3, 4}, wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "binary declared as a known type", filename: "x.doc", declared: "application/msword", data: []byte{0xd0, 0xcf, 0x11, 0xe0, 0, 1}, wantType: "application/msword", wantStatus: attachment.ThumbnailNone},
		{name: "text declared as csv", filename: "x.csv", declared: "text/csv", data: []byte("a,b\n1,2\n"), wantType: "text/csv; charset=utf-8", wantStatus: attachment.ThumbnailNone},
		{name: "zip declared as docx", filename: "x.docx", declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data: []byte("PK\x03\x04rest of a zip"), wantType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", wantStatus: attachment.ThumbnailNone},
		{name: "zip declared as something else", filename: "x.zip", declared: "application/x-chat-test", data: []byte("PK\x03\x04rest of a zip"), wantType: "application/zip", wantStatus: attachment.ThumbnailNone},
		{name: "text declared as docx", filename: "x.docx", declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data: []byte("plain words"), wantType: "text/plain; charset=utf-8", wantStatus: attachment.ThumbnailNone},
		{name: "pdf", filename: "x.pdf", declared: "application/pdf", data: []byte("%PDF-1.7\n1 0 obj"), wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "xml", filename: "x.xml", declared: "text/plain", data: []byte(`<?xml version="1.0"?><a/>`), wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "wasm", filename: "x.wasm", declared: "application/wasm", data: []byte("\x00asm\x01\x00\x00\x00"), wantType: "application/octet-stream", wantStatus: attachment.ThumbnailNone},
		{name: "mp3", filename: "x.mp3", data: []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), wantType: "audio/mpeg", wantStatus: attachment.ThumbnailNone},
		{name: "truncated jpeg", filename: "t.jpg", data: jpg[:len(jpg)/2], wantType: "image/jpeg", wantStatus: attachment.ThumbnailFailed},
		{name: "pixel bomb", filename: "bomb.png", data: imagestest.BombPNG(30000, 30000), wantType: "image/png", wantStatus: attachment.ThumbnailFailed},
		{name: "zero bytes", filename: "empty", data: nil, wantErr: domain.Invalid, wantErrCode: "empty_file"},
		{name: "over size", filename: "big.bin", data: make([]byte, filesMax+1), wantErr: domain.TooMany, wantErrCode: "file_too_large"},
		{name: "over size image", filename: "big.png", data: append(imagestest.PNG(t, 10, 10), make([]byte, filesMax)...), wantErr: domain.TooMany, wantErrCode: "file_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFilesFixture(t)
			// The declared size is unknown (-1): the bytes decide.
			a, err := f.files.Upload(context.Background(), f.bob.ID, f.room.ID, tc.filename, tc.declared, bytes.NewReader(tc.data), -1)
			if tc.wantErr != domain.Internal {
				filesWantKind(t, "Upload", err, tc.wantErr, tc.wantErrCode)
				if left := f.blobFiles(); len(left) != 0 {
					t.Errorf("files left after a refused upload: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if a.ContentType != tc.wantType || a.ThumbnailStatus != tc.wantStatus {
				t.Errorf("stored as %q %q, want %q %q", a.ContentType, a.ThumbnailStatus, tc.wantType, tc.wantStatus)
			}
			jobs := f.queue.Take()
			if wantJob := tc.wantStatus == attachment.ThumbnailPending; (len(jobs) == 1) != wantJob {
				t.Errorf("jobs = %v, want a thumbnail job: %v", jobs, wantJob)
			}
			d, err := f.files.Open(context.Background(), f.bob.ID, a.ID, false)
			if got := readDownload(t, d, err); !bytes.Equal(got, tc.data) {
				t.Error("download differs from the upload")
			}
			if d.Inline != tc.wantInline || d.ContentType != tc.wantType {
				t.Errorf("served as %q inline=%v, want %q inline=%v", d.ContentType, d.Inline, tc.wantType, tc.wantInline)
			}
			_, err = f.files.Open(context.Background(), f.bob.ID, a.ID, true)
			filesWantKind(t, "Open thumbnail before it exists", err, domain.NotFound, "")
		})
	}
}

func TestFilesUploadDeclaredOverSize(t *testing.T) {
	f := newFilesFixture(t)
	_, err := f.files.Upload(context.Background(), f.bob.ID, f.room.ID, "x", "", strings.NewReader("small"), filesMax+1)
	filesWantKind(t, "Upload", err, domain.TooMany, "file_too_large")
}

func TestFilesAccess(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	a, err := f.upload(f.bob, "plan.txt", []byte("the plan"))
	if err != nil {
		t.Fatal(err)
	}
	link := f.links.File(a.ID, f.bob.ID)

	_, err = f.upload(f.carol, "x.txt", []byte("hi"))
	filesWantKind(t, "outsider Upload", err, domain.NotFound, "")
	_, err = f.files.List(ctx, f.carol.ID, f.room.ID, 0, 10)
	filesWantKind(t, "outsider List", err, domain.NotFound, "")
	_, err = f.files.Open(ctx, f.carol.ID, a.ID, false)
	filesWantKind(t, "outsider Open", err, domain.NotFound, "file_not_found")
	_, err = f.files.Open(ctx, f.bob.ID, a.ID+100, false)
	filesWantKind(t, "Open missing", err, domain.NotFound, "")

	_, err = f.openSigned(a.ID, false, url.Values{})
	filesWantKind(t, "anonymous without a link", err, domain.Unauthenticated, "invalid_signature")
	u, _ := url.Parse(link)
	_, err = f.openSigned(a.ID+1, false, u.Query())
	filesWantKind(t, "link of another file", err, domain.Unauthenticated, "invalid_signature")
	_, err = f.openSigned(a.ID, true, u.Query())
	filesWantKind(t, "file link used for the thumbnail", err, domain.Unauthenticated, "invalid_signature")
	q := u.Query()
	q.Set("exp", strconv.FormatInt(f.clock.Now().Add(24*time.Hour).Unix(), 10))
	_, err = f.openSigned(a.ID, false, q)
	filesWantKind(t, "extended expiry", err, domain.Unauthenticated, "invalid_signature")

	d, err := f.openLink(link)
	readDownload(t, d, err)
	f.clock.advance(wire.DefaultLinkTTL + wire.DefaultLinkTTL/4)
	_, err = f.openLink(link)
	filesWantKind(t, "expired link", err, domain.Unauthenticated, "signature_expired")
}

func TestFilesListPages(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	var ids []attachment.ID
	for i := range 3 {
		a, err := f.upload(f.bob, "n.txt", []byte("note "+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	idsOf := func(as []attachment.Attachment) []attachment.ID {
		out := []attachment.ID{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	page, err := f.files.List(ctx, f.alice.ID, f.room.ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]attachment.ID{ids[2], ids[1]}, idsOf(page)); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	page, err = f.files.List(ctx, f.alice.ID, f.room.ID, ids[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]attachment.ID{ids[0]}, idsOf(page)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	_, err = f.files.List(ctx, f.alice.ID, f.room.ID, 0, 101)
	filesWantKind(t, "limit 101", err, domain.Invalid, "invalid_limit")
}

// TestFilesRowFailureLeavesNoBlob: when the row and its job cannot be
// committed, the stored bytes are removed and nothing is announced.
func TestFilesRowFailureLeavesNoBlob(t *testing.T) {
	f := newFilesFixture(t)
	f.queue.Fail(domain.Errorf(domain.Unavailable, "", "database down"))
	_, err := f.upload(f.bob, "a.png", imagestest.PNG(t, 20, 20))
	filesWantKind(t, "Upload", err, domain.Unavailable, "")
	if left := f.blobFiles(); len(left) != 0 {
		t.Errorf("orphan files: %v", left)
	}
	f.noEvent()
}

func TestFilesThumbnailFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("transient error is retried", func(t *testing.T) {
		f := newFilesFixture(t)
		a, err := f.upload(f.bob, "a.png", imagestest.PNG(t, 500, 500))
		if err != nil {
			t.Fatal(err)
		}
		f.frame()
		f.images.n = 1
		job := f.queue.Take()
		if err := f.files.ProcessThumbnail(ctx, job[0].AttachmentID); err == nil || domain.KindOf(err) != domain.Internal {
			t.Fatalf("first attempt: %v, want a retryable (Internal) error", err)
		}
		if got, _ := f.files.List(ctx, f.bob.ID, f.room.ID, 0, 1); got[0].ThumbnailStatus != attachment.ThumbnailPending {
			t.Errorf("status after a transient failure = %q, want pending", got[0].ThumbnailStatus)
		}
		if err := f.files.ProcessThumbnail(ctx, a.ID); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if got := f.frame(); got["type"] != "file_updated" {
			t.Errorf("event after retry: %v", got)
		}
	})
	for _, tc := range []struct {
		name   string
		damage func(f *filesFixture, key string)
	}{
		{"pixel bomb behind a valid upload", func(f *filesFixture, key string) {
			if _, err := f.blobs.Put(ctx, key, bytes.NewReader(imagestest.BombPNG(20000, 20000)), filesMax); err != nil {
				t.Fatal(err)
			}
		}},
		{"blob gone", func(f *filesFixture, key string) {
			if err := f.blobs.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFilesFixture(t)
			a, err := f.upload(f.bob, "a.png", imagestest.PNG(t, 500, 500))
			if err != nil {
				t.Fatal(err)
			}
			f.frame()
			tc.damage(f, a.BlobKey)
			errs := f.runJobs()
			if len(errs) != 1 || domain.KindOf(errs[0]) != domain.Invalid {
				t.Fatalf("jobs = %v, want one permanent (Invalid) failure", errs)
			}
			got, _ := f.files.List(ctx, f.bob.ID, f.room.ID, 0, 1)
			if got[0].ThumbnailStatus != attachment.ThumbnailFailed {
				t.Errorf("status = %q, want failed", got[0].ThumbnailStatus)
			}
			wantFailed := map[string]any{"type": "file_updated", "room_id": float64(f.room.ID), "file_id": float64(a.ID), "thumbnail_status": "failed"}
			if diff := cmp.Diff(wantFailed, f.frame()); diff != "" {
				t.Errorf("file_updated after a permanent failure (-want +got):\n%s", diff)
			}
			if err := f.files.ProcessThumbnail(ctx, a.ID); err != nil {
				t.Errorf("job after the failure was recorded: %v", err)
			}
		})
	}
	t.Run("unknown attachment", func(t *testing.T) {
		f := newFilesFixture(t)
		filesWantKind(t, "ProcessThumbnail", f.files.ProcessThumbnail(ctx, 424242), domain.NotFound, "")
	})
}

func TestAvatarUploadAndProcess(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	_, _, fill, _ := f.cache.Get(ctx, f.bob.ID)
	if err := f.cache.Set(ctx, f.bob, fill); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, _ := f.cache.Get(ctx, f.bob.ID); !ok {
		t.Fatal("bob's profile is not cached before the upload")
	}
	photo := imagestest.JPEGWithOrientation(t, 1200, 800, 6)
	if err := f.files.UploadAvatar(ctx, f.bob.ID, bytes.NewReader(photo), int64(len(photo))); err != nil {
		t.Fatalf("UploadAvatar: %v", err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v, want one successful avatar job", errs)
	}
	bob, err := f.users.ByID(ctx, f.bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a/" + strconv.FormatInt(int64(bob.ID), 10) + "/"; !strings.HasPrefix(bob.AvatarKey, want) || !strings.HasSuffix(bob.AvatarKey, ".webp") {
		t.Errorf("AvatarKey = %q, want %s….webp", bob.AvatarKey, want)
	}
	if _, ok, _, _ := f.cache.Get(ctx, bob.ID); ok {
		t.Error("the cached profile was not invalidated")
	}
	if diff := cmp.Diff([]string{bob.AvatarKey}, f.blobFiles()); diff != "" {
		t.Errorf("stored files (-want +got), the original must be gone:\n%s", diff)
	}
	link := f.links.Avatar(bob, f.carol.ID)
	d, err := f.openLink(link)
	out := readDownload(t, d, err)
	img := bimg.NewImage(out)
	size, err := img.Size()
	if err != nil || size.Width != 256 || size.Height != 256 || img.Type() != "webp" || d.ContentType != "image/webp" {
		t.Errorf("avatar %s %+v served as %s (%v), want a 256x256 webp", img.Type(), size, d.ContentType, err)
	}
	if meta, _ := img.Metadata(); meta.Orientation != 0 || bytes.Contains(out, []byte(imagestest.ExifMake)) {
		t.Error("the avatar keeps EXIF metadata")
	}

	// A new avatar replaces the old one, whose file goes.
	png := imagestest.PNG(t, 300, 300)
	if err := f.files.UploadAvatar(ctx, f.bob.ID, bytes.NewReader(png), -1); err != nil {
		t.Fatal(err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v", errs)
	}
	bob2, _ := f.users.ByID(ctx, f.bob.ID)
	if bob2.AvatarKey == bob.AvatarKey {
		t.Error("avatar key unchanged")
	}
	if diff := cmp.Diff([]string{bob2.AvatarKey}, f.blobFiles()); diff != "" {
		t.Errorf("stored files (-want +got):\n%s", diff)
	}
	_, err = f.openLink(link)
	filesWantKind(t, "old avatar link", err, domain.NotFound, "")
	if f.links.Avatar(user.User{}, f.carol.ID) != "" {
		t.Error("a user without avatar has an avatar URL")
	}
}

func TestAvatarRejects(t *testing.T) {
	jpg := imagestest.JPEG(t, 300, 300)
	for _, tc := range []struct {
		name string
		data []byte
		size int64
		kind domain.Kind
	}{
		{"zero bytes", nil, 0, domain.Invalid},
		{"text", []byte("not an image"), 12, domain.Unsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), -1, domain.Unsupported},
		{"truncated jpeg", jpg[:len(jpg)/2], -1, domain.Invalid},
		{"pixel bomb", imagestest.BombPNG(30000, 30000), -1, domain.Invalid},
		{"over 5 MiB", make([]byte, application.MaxAvatarUpload+1), -1, domain.TooMany},
		{"declared over 5 MiB", jpg, application.MaxAvatarUpload + 1, domain.TooMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFilesFixture(t)
			err := f.files.UploadAvatar(context.Background(), f.bob.ID, bytes.NewReader(tc.data), tc.size)
			filesWantKind(t, "UploadAvatar", err, tc.kind, "")
			if jobs := f.queue.Take(); len(jobs) != 0 {
				t.Errorf("jobs enqueued: %v", jobs)
			}
			if left := f.blobFiles(); len(left) != 0 {
				t.Errorf("files stored: %v", left)
			}
		})
	}
	t.Run("job for another user's original", func(t *testing.T) {
		f := newFilesFixture(t)
		err := f.files.ProcessAvatar(context.Background(), f.bob.ID, "o/"+strconv.FormatInt(int64(f.alice.ID), 10)+"/x")
		filesWantKind(t, "ProcessAvatar", err, domain.Invalid, "")
	})
}

// TestDeleteRoomRemovesItsFiles: deleting a room removes its files' rows
// and blobs (thumbnails too) and tells every socket to close; its links
// stop working.
func TestDeleteRoomRemovesItsFiles(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	img, err := f.upload(f.bob, "photo.png", imagestest.PNG(t, 600, 400))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.upload(f.alice, "notes.txt", []byte("some notes")); err != nil {
		t.Fatal(err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v", errs)
	}
	listed, err := f.files.List(ctx, f.alice.ID, f.room.ID, 0, 0)
	if err != nil || len(listed) != 2 {
		t.Fatalf("List = %v, %v", listed, err)
	}
	link := f.links.File(listed[1].ID, f.bob.ID)
	if n := len(f.blobFiles()); n != 3 {
		t.Fatalf("%d blobs before the delete, want 2 files and a thumbnail", n)
	}
	for range 3 { // file_shared ×2, file_updated
		f.frame()
	}
	filesWantKind(t, "delete by a member", f.app.Rooms.Delete(ctx, f.bob.ID, f.room.ID), domain.Forbidden, "not_owner")
	filesWantKind(t, "delete by an outsider", f.app.Rooms.Delete(ctx, f.carol.ID, f.room.ID), domain.NotFound, "room_not_found")
	if err := f.app.Rooms.Delete(ctx, f.alice.ID, f.room.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	select {
	case e := <-f.events:
		if e.Payload != (ports.RoomDeleted{Room: f.room.ID}) {
			t.Errorf("event %+v, want the room-deleted control", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no room-deleted event")
	}
	if left := f.blobFiles(); len(left) != 0 {
		t.Errorf("blobs left after the delete: %v", left)
	}
	_, err = f.openLink(link)
	filesWantKind(t, "a link of the deleted room", err, domain.NotFound, "")
	_, err = f.files.Open(ctx, f.bob.ID, img.ID, false)
	filesWantKind(t, "open a file of the deleted room", err, domain.NotFound, "")
	_, err = f.app.Rooms.Get(ctx, f.alice.ID, f.room.ID)
	filesWantKind(t, "get the deleted room", err, domain.NotFound, "room_not_found")
	filesWantKind(t, "delete it again", f.app.Rooms.Delete(ctx, f.alice.ID, f.room.ID), domain.NotFound, "room_not_found")
	_, err = f.upload(f.bob, "late.txt", []byte("late"))
	filesWantKind(t, "upload to the deleted room", err, domain.NotFound, "room_not_found")
}

// TestThumbnailOfADeletedRoomLeavesNoBlob: a room deleted while its image's
// thumbnail is being made leaves no thumbnail behind.
func TestThumbnailOfADeletedRoomLeavesNoBlob(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	if _, err := f.upload(f.bob, "photo.png", imagestest.PNG(t, 600, 400)); err != nil {
		t.Fatal(err)
	}
	f.images.during = func() {
		if err := f.app.Rooms.Delete(ctx, f.alice.ID, f.room.ID); err != nil {
			t.Errorf("Delete: %v", err)
		}
	}
	errs := f.runJobs()
	if len(errs) != 1 || domain.KindOf(errs[0]) != domain.NotFound {
		t.Fatalf("jobs: %v, want the thumbnail job to find its file gone", errs)
	}
	if left := f.blobFiles(); len(left) != 0 {
		t.Errorf("blobs left: %v", left)
	}
}

// Links are bound to the user they were made for, and that user's access
// is checked again when one is followed: a member removed from the room
// keeps nothing but dead links, and no link can be re-pointed at another
// user.
func TestSignedLinksBoundToTheirUser(t *testing.T) {
	f := newFilesFixture(t)
	ctx := context.Background()
	png := imagestest.PNG(t, 600, 400)
	a, err := f.upload(f.alice, "cat.png", png)
	if err != nil {
		t.Fatal(err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v", errs)
	}
	list, err := f.files.List(ctx, f.alice.ID, f.room.ID, 0, 1)
	if err != nil || len(list) != 1 || list[0].ThumbnailStatus != attachment.ThumbnailReady {
		t.Fatalf("List = %+v, %v", list, err)
	}
	a = list[0]
	fileLink, thumbLink := f.links.File(a.ID, f.bob.ID), f.links.Thumbnail(a, f.bob.ID)
	for _, link := range []string{fileLink, thumbLink} {
		d, err := f.openLink(link)
		readDownload(t, d, err)
	}

	// Re-pointed at alice (a member too), bob's link fails the signature.
	u, _ := url.Parse(fileLink)
	q := u.Query()
	q.Set("u", strconv.FormatInt(int64(f.alice.ID), 10))
	_, err = f.openSigned(a.ID, false, q)
	filesWantKind(t, "bob's link with alice's id", err, domain.Unauthenticated, "invalid_signature")

	// A link made for an outsider opens nothing.
	_, err = f.openLink(f.links.File(a.ID, f.carol.ID))
	filesWantKind(t, "outsider's link", err, domain.NotFound, "file_not_found")

	// Bob is removed: the links he took before stop working.
	if err := f.app.Rooms.RemoveMember(ctx, f.alice.ID, f.room.ID, f.bob.ID); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{fileLink, thumbLink} {
		_, err = f.openLink(link)
		filesWantKind(t, "removed member's link "+link, err, domain.NotFound, "file_not_found")
	}
	// Alice's own link still works.
	d, err := f.openLink(f.links.File(a.ID, f.alice.ID))
	readDownload(t, d, err)
}

// A file event is the file as a value; each recipient's frame gets links
// signed for that recipient (wire.Frames), which open the file for them.
func TestFileEventsSignedPerRecipient(t *testing.T) {
	f := newFilesFixture(t)
	a, err := f.upload(f.alice, "notes.txt", []byte("notes"))
	if err != nil {
		t.Fatal(err)
	}
	var published ports.Event
	select {
	case published = <-f.events:
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	if diff := cmp.Diff(ports.Event{RoomID: f.room.ID, Payload: ports.FileShared{File: a}}, published); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	frame := wire.NewFrames(f.links).Encode(published)
	links := map[user.ID]string{}
	for _, viewer := range []user.User{f.alice, f.bob} {
		var m map[string]any
		if err := json.Unmarshal(frame.For(viewer.ID), &m); err != nil {
			t.Fatal(err)
		}
		links[viewer.ID], _ = m["file_url"].(string)
		d, err := f.openLink(links[viewer.ID])
		if got := readDownload(t, d, err); string(got) != "notes" {
			t.Errorf("%s's link served %q", viewer.Username, got)
		}
	}
	if links[f.alice.ID] == links[f.bob.ID] {
		t.Error("alice and bob got the same link")
	}
}

// TestFilesLinkedFromTheStore runs file sharing on an S3 store (the
// adapter's real code, against the test store): uploads and the workers'
// thumbnails and avatars go to the bucket, and a download a member may make
// is a short-lived link straight to the store — made only after the same
// membership check, and never for an outsider.
func TestFilesLinkedFromTheStore(t *testing.T) {
	srv := services.S3(t)
	s3, err := blob.NewS3(context.Background(), blob.S3Config{
		Endpoint: srv.Endpoint, Region: srv.Region, Bucket: srv.Bucket, PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := newFilesFixtureOn(t, s3, s3)
	ctx := context.Background()
	png := imagestest.PNG(t, 800, 600)
	a, err := f.upload(f.bob, "holiday.png", png)
	if err != nil {
		t.Fatal(err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v, want one thumbnail made", errs)
	}

	_, err = f.files.Open(ctx, f.carol.ID, a.ID, false)
	filesWantKind(t, "outsider Open", err, domain.NotFound, "file_not_found")

	fetch := func(what string, open func() (application.Download, error)) ([]byte, http.Header) {
		t.Helper()
		d, err := open()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if d.Content != nil || d.URL == "" || !d.Expires.Equal(f.clock.Now().Add(application.DefaultLinkTTL)) {
			t.Fatalf("%s: %+v, want a link living %v and no content", what, d, application.DefaultLinkTTL)
		}
		resp, err := http.Get(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: GET %s: %d %s", what, d.URL, resp.StatusCode, b)
		}
		return b, resp.Header
	}
	b, h := fetch("member Open", func() (application.Download, error) { return f.files.Open(ctx, f.bob.ID, a.ID, false) })
	if !bytes.Equal(b, png) || h.Get("Content-Type") != "image/png" || h.Get("Content-Disposition") != wire.ContentDisposition(true, "holiday.png") {
		t.Errorf("file by link: %d bytes, %q, %q", len(b), h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	if d, err := f.files.Open(ctx, f.bob.ID, a.ID, false); err != nil {
		t.Fatal(err)
	} else if u, _ := url.Parse(d.URL); u.Query().Get("X-Amz-Expires") != "300" {
		t.Errorf("link %s: want X-Amz-Expires=300", d.URL)
	}
	b, h = fetch("thumbnail", func() (application.Download, error) { return f.files.Open(ctx, f.bob.ID, a.ID, true) })
	if img := bimg.NewImage(b); img.Type() != "webp" || h.Get("Content-Type") != "image/webp" {
		t.Errorf("thumbnail by link: %s served as %q", img.Type(), h.Get("Content-Type"))
	}

	text, err := f.upload(f.bob, "page.html", []byte("<html><script>alert(1)</script></html>"))
	if err != nil {
		t.Fatal(err)
	}
	_, h = fetch("text file", func() (application.Download, error) { return f.files.Open(ctx, f.bob.ID, text.ID, false) })
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || strings.Contains(h.Get("Content-Type"), "html") {
		t.Errorf("an HTML upload by link: %q, %q; want a text/plain attachment", h.Get("Content-Type"), h.Get("Content-Disposition"))
	}

	// The avatar job reads the original from the bucket and writes the
	// avatar there.
	if err := f.files.UploadAvatar(ctx, f.bob.ID, bytes.NewReader(png), -1); err != nil {
		t.Fatal(err)
	}
	if errs := f.runJobs(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("jobs: %v, want one avatar made", errs)
	}
	bob, err := f.users.ByID(ctx, f.bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, name, _ := strings.Cut(strings.TrimPrefix(bob.AvatarKey, "a/"), "/")
	b, _ = fetch("avatar", func() (application.Download, error) { return f.files.OpenAvatar(ctx, f.carol.ID, f.bob.ID, name) })
	if size, err := bimg.NewImage(b).Size(); err != nil || size.Width != 256 || size.Height != 256 {
		t.Errorf("avatar by link: %+v %v, want 256×256", size, err)
	}
	_, err = f.files.OpenAvatar(ctx, f.carol.ID, f.bob.ID, "../../f/x")
	filesWantKind(t, "avatar name that is no key", err, domain.NotFound, "file_not_found")
}
