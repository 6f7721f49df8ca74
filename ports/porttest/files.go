package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
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
