package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// BlobStore runs the contract of ports.BlobStore. open must return a store
// over a fresh, empty location for each call; it is called once per subtest.
func BlobStore(t *testing.T, open func(t *testing.T) ports.BlobStore) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s ports.BlobStore)
	}{
		{"PutOpenRoundTrip", testBlobRoundTrip},
		{"PutReplaces", testBlobReplace},
		{"OpenMissing", testBlobMissing},
		{"DeleteIdempotent", testBlobDelete},
		{"InvalidKeys", testBlobInvalidKeys},
		{"OverSizeLeavesNothing", testBlobOverSize},
		{"FailedReadLeavesNothing", testBlobFailedRead},
		{"ConcurrentPuts", testBlobConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func readBlob(t *testing.T, s ports.BlobStore, key string) (string, ports.BlobInfo) {
	t.Helper()
	r, info, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b), info
}

func expectKind(t *testing.T, what string, err error, want domain.Kind) {
	t.Helper()
	if err == nil || domain.KindOf(err) != want {
		t.Errorf("%s: err = %v (kind %v), want kind %v", what, err, domain.KindOf(err), want)
	}
}

func testBlobRoundTrip(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	const key, body = "f/ab/abcdef0123.bin", "hello, blob"
	n, err := s.Put(ctx, key, strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != int64(len(body)) {
		t.Errorf("Put size = %d, want %d", n, len(body))
	}
	got, info := readBlob(t, s, key)
	if diff := cmp.Diff(body, got); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if info.Size != int64(len(body)) || info.ModTime.IsZero() {
		t.Errorf("info = %+v, want size %d and a mod time", info, len(body))
	}
	// Range requests need Seek.
	r, _, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	if _, err := r.Seek(7, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	rest, _ := io.ReadAll(r)
	if diff := cmp.Diff("blob", string(rest)); diff != "" {
		t.Errorf("after seek (-want +got):\n%s", diff)
	}
}

func testBlobReplace(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	for _, body := range []string{"first", "second version"} {
		if _, err := s.Put(ctx, "a/1/x.webp", strings.NewReader(body), 100); err != nil {
			t.Fatalf("Put %q: %v", body, err)
		}
	}
	if got, _ := readBlob(t, s, "a/1/x.webp"); got != "second version" {
		t.Errorf("content = %q, want the second version", got)
	}
}

func testBlobMissing(t *testing.T, s ports.BlobStore) {
	_, _, err := s.Open(context.Background(), "f/00/missing")
	expectKind(t, "Open missing", err, domain.NotFound)
}

func testBlobDelete(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "f/de/del", strings.NewReader("x"), 10); err != nil {
		t.Fatalf("Put: %v", err)
	}
	for i := range 2 {
		if err := s.Delete(ctx, "f/de/del"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	_, _, err := s.Open(ctx, "f/de/del")
	expectKind(t, "Open deleted", err, domain.NotFound)
	if err := s.Delete(ctx, "never/stored"); err != nil {
		t.Errorf("Delete of a never stored key: %v", err)
	}
}

func testBlobInvalidKeys(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	for _, key := range []string{
		"", "/etc/passwd", "../escape", "f/../../escape", "f/./x", "f//x", "f/x/", ".",
		"..", "F/Upper", "f/sp ace", `f\x`, "f/x\x00", "f/ü", "f/x?y", "%2e%2e/x",
	} {
		_, err := s.Put(ctx, key, strings.NewReader("x"), 10)
		expectKind(t, fmt.Sprintf("Put(%q)", key), err, domain.Invalid)
		_, _, err = s.Open(ctx, key)
		expectKind(t, fmt.Sprintf("Open(%q)", key), err, domain.Invalid)
		expectKind(t, fmt.Sprintf("Delete(%q)", key), s.Delete(ctx, key), domain.Invalid)
	}
}

func testBlobOverSize(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "f/ov/exact", strings.NewReader("0123456789"), 10); err != nil {
		t.Fatalf("Put of exactly maxBytes: %v", err)
	}
	_, err := s.Put(ctx, "f/ov/new", strings.NewReader("0123456789A"), 10)
	expectKind(t, "Put over size", err, domain.TooMany)
	_, _, err = s.Open(ctx, "f/ov/new")
	expectKind(t, "Open after over-size Put", err, domain.NotFound)
	// A failed replacement keeps the old object whole.
	_, err = s.Put(ctx, "f/ov/exact", bytes.NewReader(make([]byte, 11)), 10)
	expectKind(t, "replacing Put over size", err, domain.TooMany)
	if got, _ := readBlob(t, s, "f/ov/exact"); got != "0123456789" {
		t.Errorf("after failed replace: %q, want the old content", got)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func testBlobFailedRead(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "f/fr/x", &failingReader{n: 5}, 100); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	_, _, err := s.Open(ctx, "f/fr/x")
	expectKind(t, "Open after failed Put", err, domain.NotFound)
}

func testBlobConcurrent(t *testing.T, s ports.BlobStore) {
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			body := strings.Repeat(fmt.Sprint(i), 1000)
			_, errs[i] = s.Put(ctx, fmt.Sprintf("f/c%d/blob-%d", i%3, i), strings.NewReader(body), 1<<20)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put #%d: %v", i, err)
		}
		got, _ := readBlob(t, s, fmt.Sprintf("f/c%d/blob-%d", i%3, i))
		if want := strings.Repeat(fmt.Sprint(i), 1000); got != want {
			t.Errorf("blob %d: got %d bytes, want %d of %q", i, len(got), len(want), fmt.Sprint(i))
		}
	}
}

// AttachmentFixture is an AttachmentStore over a fresh database holding two
// rooms and a user who may share files in both.
type AttachmentFixture struct {
	Store           ports.AttachmentStore
	Room, OtherRoom room.ID
	User            user.ID
	// Jobs returns (and forgets) the jobs enqueued since its last call, in
	// order. The SQL stores read them from the job queue's table.
	Jobs func(t *testing.T) []ports.Job
	// Rooms is the RoomStore of the same database, whose Delete removes a
	// room's attachment rows and returns their blob keys.
	Rooms ports.RoomStore
}

// AttachmentStore runs the contract of ports.AttachmentStore; open is
// called once per subtest.
func AttachmentStore(t *testing.T, open func(t *testing.T) AttachmentFixture) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, f AttachmentFixture)
	}{
		{"CreateWithJob", testAttachmentCreateWithJob},
		{"CreateWithoutJob", testAttachmentCreateWithoutJob},
		{"ByIDMissing", testAttachmentMissing},
		{"ListNewestFirstByRoom", testAttachmentList},
		{"SetThumbnail", testAttachmentSetThumbnail},
		{"RoomDeleteReturnsBlobKeys", testAttachmentRoomDelete},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func newAttachment(f AttachmentFixture, r room.ID, name string) attachment.Attachment {
	return attachment.Attachment{
		RoomID: r, UserID: f.User, Filename: name, ContentType: "image/png", Size: 1234,
		BlobKey: "f/ab/" + name, ThumbnailStatus: attachment.ThumbnailPending,
		CreatedAt: time.Date(2026, 11, 23, 12, 0, 0, 123456000, time.UTC),
	}
}

func testAttachmentCreateWithJob(t *testing.T, f AttachmentFixture) {
	ctx := context.Background()
	want := newAttachment(f, f.Room, "cat.png")
	got, err := f.Store.Create(ctx, want, &ports.Job{Kind: ports.JobThumbnail})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got.ID <= 0 {
		t.Fatalf("Create returned id %d", got.ID)
	}
	want.ID = got.ID
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	read, err := f.Store.ByID(ctx, got.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("ByID (-want +got):\n%s", diff)
	}
	if f.Jobs != nil {
		jobs := f.Jobs(t)
		if diff := cmp.Diff([]ports.Job{{Kind: ports.JobThumbnail, AttachmentID: got.ID}}, jobs); diff != "" {
			t.Errorf("jobs (-want +got):\n%s", diff)
		}
	}
}

func testAttachmentCreateWithoutJob(t *testing.T, f AttachmentFixture) {
	a := newAttachment(f, f.Room, "notes.txt")
	a.ContentType, a.ThumbnailStatus = "text/plain; charset=utf-8", attachment.ThumbnailNone
	if _, err := f.Store.Create(context.Background(), a, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if f.Jobs != nil {
		if jobs := f.Jobs(t); len(jobs) != 0 {
			t.Errorf("jobs = %v, want none", jobs)
		}
	}
}

func testAttachmentMissing(t *testing.T, f AttachmentFixture) {
	_, err := f.Store.ByID(context.Background(), 987654)
	expectKind(t, "ByID missing", err, domain.NotFound)
	err = f.Store.SetThumbnail(context.Background(), 987654, "", attachment.ThumbnailFailed)
	expectKind(t, "SetThumbnail missing", err, domain.NotFound)
}

func testAttachmentList(t *testing.T, f AttachmentFixture) {
	ctx := context.Background()
	var ids []attachment.ID
	for i := range 5 {
		r := f.Room
		if i == 2 {
			r = f.OtherRoom
		}
		a, err := f.Store.Create(ctx, newAttachment(f, r, fmt.Sprintf("f%d", i)), nil)
		if err != nil {
			t.Fatalf("Create #%d: %v", i, err)
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
	for _, tc := range []struct {
		name   string
		room   room.ID
		before attachment.ID
		limit  int
		want   []attachment.ID
	}{
		{"all, newest first", f.Room, 0, 10, []attachment.ID{ids[4], ids[3], ids[1], ids[0]}},
		{"limit", f.Room, 0, 2, []attachment.ID{ids[4], ids[3]}},
		{"before", f.Room, ids[3], 10, []attachment.ID{ids[1], ids[0]}},
		{"other room", f.OtherRoom, 0, 10, []attachment.ID{ids[2]}},
		{"before the first", f.Room, ids[0], 10, []attachment.ID{}},
	} {
		got, err := f.Store.List(ctx, tc.room, tc.before, tc.limit)
		if err != nil {
			t.Fatalf("%s: List: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, idsOf(got)); diff != "" {
			t.Errorf("%s: ids (-want +got):\n%s", tc.name, diff)
		}
	}
}

func testAttachmentSetThumbnail(t *testing.T, f AttachmentFixture) {
	ctx := context.Background()
	ready, err := f.Store.Create(ctx, newAttachment(f, f.Room, "a.png"), nil)
	if err != nil {
		t.Fatal(err)
	}
	failed, err := f.Store.Create(ctx, newAttachment(f, f.Room, "b.png"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.SetThumbnail(ctx, ready.ID, "t/ab/a.webp", attachment.ThumbnailReady); err != nil {
		t.Fatalf("SetThumbnail ready: %v", err)
	}
	if err := f.Store.SetThumbnail(ctx, failed.ID, "", attachment.ThumbnailFailed); err != nil {
		t.Fatalf("SetThumbnail failed: %v", err)
	}
	for _, tc := range []struct {
		id     attachment.ID
		key    string
		status attachment.ThumbnailStatus
	}{
		{ready.ID, "t/ab/a.webp", attachment.ThumbnailReady},
		{failed.ID, "", attachment.ThumbnailFailed},
	} {
		got, err := f.Store.ByID(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.ThumbnailKey != tc.key || got.ThumbnailStatus != tc.status {
			t.Errorf("attachment %d: thumbnail %q %q, want %q %q", tc.id, got.ThumbnailKey, got.ThumbnailStatus, tc.key, tc.status)
		}
	}
}

// testAttachmentRoomDelete: deleting a room deletes its files' rows and
// hands their blob keys (files and thumbnails) to the caller, once; a file
// shared afterwards is refused.
func testAttachmentRoomDelete(t *testing.T, f AttachmentFixture) {
	ctx := context.Background()
	var ids []attachment.ID
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		a, err := f.Store.Create(ctx, newAttachment(f, f.Room, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if err := f.Store.SetThumbnail(ctx, ids[1], "t/ab/b.webp", attachment.ThumbnailReady); err != nil {
		t.Fatal(err)
	}
	kept, err := f.Store.Create(ctx, newAttachment(f, f.OtherRoom, "d.png"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.Rooms.Delete(ctx, f.Room)
	if err != nil {
		t.Fatalf("Rooms.Delete: %v", err)
	}
	slices.Sort(keys)
	if d := cmp.Diff([]string{"f/ab/a.png", "f/ab/b.png", "f/ab/c.png", "t/ab/b.webp"}, keys); d != "" {
		t.Errorf("blob keys of the deleted room (-want +got):\n%s", d)
	}
	for _, id := range ids {
		if _, err := f.Store.ByID(ctx, id); domain.KindOf(err) != domain.NotFound {
			t.Errorf("ByID(%d) after its room was deleted: %v, want NotFound", id, err)
		}
	}
	if got, err := f.Store.ByID(ctx, kept.ID); err != nil || got.ID != kept.ID {
		t.Errorf("a file of another room: %v, %v", got, err)
	}
	_, err = f.Store.Create(ctx, newAttachment(f, f.Room, "late.png"), nil)
	if domain.KindOf(err) != domain.NotFound {
		t.Errorf("Create in a deleted room: %v, want NotFound", err)
	}
}
