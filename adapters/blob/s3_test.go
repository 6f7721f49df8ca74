package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"chat/adapters/blob"
	"chat/domain"
	"chat/ports"
	"chat/ports/porttest"
	"chat/test/services"
)

// s3Config is the adapter's configuration for a test store.
func s3Config(s services.S3Server) blob.S3Config {
	return blob.S3Config{
		Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, PathStyle: true,
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, Timeout: 10 * time.Second,
	}
}

func newS3(t *testing.T, cfg blob.S3Config) *blob.S3 {
	t.Helper()
	s, err := blob.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewS3(%s): %v", cfg, err)
	}
	return s
}

// TestBlobS3Contract runs the blob contract on S3: MinIO when a Docker
// engine answers, else gofakes3 in this process.
func TestBlobS3Contract(t *testing.T) {
	logged := false
	porttest.BlobStore(t, func(t *testing.T) ports.BlobStore {
		srv := services.S3(t)
		if !logged {
			t.Logf("S3 store: %s", srv.Kind)
			logged = true
		}
		return newS3(t, s3Config(srv))
	})
}

// TestBlobS3Multipart covers uploads larger than one part, which stream as
// a multipart upload: exactly the limit is stored whole; over it nothing is
// left, and an older object under the key stays as it was.
func TestBlobS3Multipart(t *testing.T) {
	s := newS3(t, s3Config(services.S3(t)))
	ctx := context.Background()
	const limit = 11 << 20 // three parts
	data := make([]byte, limit)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	n, err := s.Put(ctx, "f/mp/exact", bytes.NewReader(data), limit)
	if err != nil || n != limit {
		t.Fatalf("Put of exactly the limit: %d, %v", n, err)
	}
	if got := readAll(t, s, "f/mp/exact"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d written", len(got), len(data))
	}
	over := io.MultiReader(bytes.NewReader(data), strings.NewReader("x"))
	if _, err := s.Put(ctx, "f/mp/exact", over, limit); domain.KindOf(err) != domain.TooMany || domain.CodeOf(err) != "file_too_large" {
		t.Fatalf("over-size multipart Put: %v, want TooMany file_too_large", err)
	}
	if got := readAll(t, s, "f/mp/exact"); !bytes.Equal(got, data) {
		t.Error("a failed replacement changed the object")
	}
	if _, err := s.Put(ctx, "f/mp/new", io.MultiReader(bytes.NewReader(data), strings.NewReader("x")), limit); domain.KindOf(err) != domain.TooMany {
		t.Fatalf("over-size multipart Put: %v", err)
	}
	if _, _, err := s.Open(ctx, "f/mp/new"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("after an over-size multipart Put, Open: %v, want NotFound", err)
	}
	// A reader that fails after two parts: nothing is stored, and the
	// reader's error (the client's) is what comes back.
	failing := io.MultiReader(bytes.NewReader(data[:7<<20]), errReader{})
	if _, err := s.Put(ctx, "f/mp/cut", failing, limit); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("Put from a failing reader: %v", err)
	}
	if _, _, err := s.Open(ctx, "f/mp/cut"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("after a failed multipart Put, Open: %v, want NotFound", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }

func readAll(t *testing.T, s ports.BlobStore, key string) []byte {
	t.Helper()
	r, _, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// TestBlobS3Presign fetches a presigned link with a plain HTTP client: the
// bytes come back with the headers asked for, and the link carries its
// lifetime (X-Amz-Expires from X-Amz-Date). MinIO checks signatures and
// expiry, so there the link is also seen to stop working.
func TestBlobS3Presign(t *testing.T) {
	srv := services.S3(t)
	s := newS3(t, s3Config(srv))
	ctx := context.Background()
	const body = "hello, presigned"
	if _, err := s.Put(ctx, "f/ps/hello.bin", strings.NewReader(body), 100); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Truncate(time.Second)
	link, err := s.PresignGet(ctx, "f/ps/hello.bin", 2*time.Minute, ports.BlobHeaders{
		ContentType: "text/plain; charset=utf-8", Filename: "Ünïcode \"notes\".txt", MaxAge: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != srv.Endpoint || !strings.HasPrefix(u.Path, "/"+srv.Bucket+"/") {
		t.Errorf("link %s: want host %s and path-style bucket %s", link, srv.Endpoint, srv.Bucket)
	}
	if q.Get("X-Amz-Expires") != "120" || q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Errorf("link query %v: want X-Amz-Expires=120 and a signature", q)
	}
	if q.Get("X-Amz-Credential") == "" || strings.Contains(link, srv.SecretKey) {
		t.Errorf("link %s: want a credential scope and never the secret", link)
	}
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil || signed.Before(before) || signed.After(time.Now().Add(time.Second)) {
		t.Errorf("X-Amz-Date %q (%v): want the time of signing", q.Get("X-Amz-Date"), err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != body {
		t.Fatalf("GET link: %d %q", resp.StatusCode, got)
	}
	for name, want := range map[string]string{
		"Content-Type":        "text/plain; charset=utf-8",
		"Content-Disposition": `attachment; filename="_n_code _notes_.txt"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%22notes%22.txt`,
		"Cache-Control":       "private, max-age=60",
	} {
		if h := resp.Header.Get(name); h != want {
			t.Errorf("%s = %q, want %q", name, h, want)
		}
	}
	// A range, as a browser's media player asks.
	req, _ := http.NewRequest("GET", link, nil)
	req.Header.Set("Range", "bytes=7-")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 206 || string(got) != "presigned" {
			t.Errorf("ranged GET: %d %q", resp.StatusCode, got)
		}
	}
	if _, err := s.PresignGet(ctx, "../escape", time.Minute, ports.BlobHeaders{}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("PresignGet of an invalid key: %v, want Invalid", err)
	}
	if srv.Kind != "minio" {
		return // gofakes3 checks neither signatures nor expiry
	}
	short, err := s.PresignGet(ctx, "f/ps/hello.bin", time.Second, ports.BlobHeaders{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if resp, err := http.Get(short); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != 403 {
		t.Errorf("expired link: %d, want 403", resp.StatusCode)
	}
	if resp, err := http.Get(strings.Replace(link, "hello.bin", "other.bin", 1)); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != 403 {
		t.Errorf("link re-pointed at another key: %d, want 403", resp.StatusCode)
	}
}

// TestBlobS3PublicURL signs links for the address browsers use — here a
// reverse proxy that passes the Host header on, as the compose file's load
// balancer does — while the server itself talks to the store directly.
func TestBlobS3PublicURL(t *testing.T) {
	srv := services.S3(t)
	target, _ := url.Parse("http://" + srv.Endpoint)
	var proxied atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	cfg := s3Config(srv)
	cfg.PublicURL, _ = url.Parse(proxy.URL)
	s := newS3(t, cfg)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/1/face.webp", strings.NewReader("pixels"), 100); err != nil {
		t.Fatal(err)
	}
	if proxied.Load() != 0 {
		t.Error("the server's own calls went through the public URL")
	}
	link, err := s.PresignGet(ctx, "a/1/face.webp", time.Minute, ports.BlobHeaders{ContentType: "image/webp", Filename: "avatar.webp", Inline: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, proxy.URL+"/"+srv.Bucket+"/a/1/face.webp?") {
		t.Fatalf("link %s, want it under %s", link, proxy.URL)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "pixels" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline;") {
		t.Errorf("GET through the public URL: %d %q %q", resp.StatusCode, got, resp.Header.Get("Content-Disposition"))
	}
	if cfg.PublicOrigin() != proxy.URL {
		t.Errorf("PublicOrigin = %q, want %q", cfg.PublicOrigin(), proxy.URL)
	}
}

// TestBlobS3Bucket: a missing bucket stops the start unless it may be
// created; creating one that another instance just made is fine.
func TestBlobS3Bucket(t *testing.T) {
	srv := services.S3(t)
	cfg := s3Config(srv)
	cfg.Bucket = "chat-test-missing-" + services.RandomID()
	_, err := blob.NewS3(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "create_bucket=true") {
		t.Fatalf("NewS3 with a missing bucket: %v", err)
	}
	if strings.Contains(err.Error(), cfg.SecretKey) || strings.Contains(cfg.String(), cfg.SecretKey) || strings.Contains(cfg.String(), cfg.AccessKey) {
		t.Errorf("credentials printed: %v / %s", err, cfg)
	}
	cfg.CreateBucket = true
	for i := range 2 {
		s, err := blob.NewS3(context.Background(), cfg)
		if err != nil {
			t.Fatalf("NewS3 #%d creating the bucket: %v", i+1, err)
		}
		if _, err := s.Put(context.Background(), "f/new/bucket", strings.NewReader("ok"), 10); err != nil {
			t.Fatalf("Put into the created bucket: %v", err)
		}
	}
}

// TestBlobS3Stall: a store that stops answering fails each call with
// Unavailable within the timeout, instead of holding it; a slow reader
// (a client uploading slowly) is not the store's stall.
func TestBlobS3Stall(t *testing.T) {
	var stalled atomic.Bool
	fake := gofakes3.New(s3mem.New()).Server()
	httpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stalled.Load() {
			// Read the body, so the server notices when the client
			// hangs up (it watches the connection only after that).
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer httpSrv.Close()
	endpoint := strings.TrimPrefix(httpSrv.URL, "http://")
	const timeout = 300 * time.Millisecond
	s := newS3(t, blob.S3Config{
		Endpoint: endpoint, Bucket: "stall", PathStyle: true, CreateBucket: true,
		AccessKey: "k", SecretKey: "secret-key", Timeout: timeout,
	})
	ctx := context.Background()
	// A client that takes longer than the timeout to send its bytes.
	slow := &slowReader{data: []byte("slowly but surely"), pause: timeout / 2}
	if _, err := s.Put(ctx, "f/st/slow", slow, 100); err != nil {
		t.Fatalf("Put from a slow reader: %v", err)
	}
	r, _, err := s.Open(ctx, "f/st/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	stalled.Store(true)
	for name, call := range map[string]func() error{
		"Put":    func() error { _, err := s.Put(ctx, "f/st/x", strings.NewReader("x"), 10); return err },
		"Open":   func() error { _, _, err := s.Open(ctx, "f/st/slow"); return err },
		"Delete": func() error { return s.Delete(ctx, "f/st/slow") },
		"Read": func() error {
			// The object opened before the stall: its first read
			// asks the store now.
			_, err := r.Seek(1, io.SeekStart)
			if err == nil {
				_, err = io.ReadAll(r)
			}
			return err
		},
	} {
		start := time.Now()
		err := call()
		if took := time.Since(start); took > timeout+2*time.Second {
			t.Errorf("%s took %v against a stalled store, timeout %v", name, took, timeout)
		}
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s against a stalled store: %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
	}
}

type slowReader struct {
	data  []byte
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p[:min(len(p), 4)], s.data)
	s.data = s.data[n:]
	return n, nil
}
