package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"chat/adapters/images/imagestest"
	"chat/test/services"
)

// TestFilesS3ScaleOut runs two instances in scale-out mode with their files
// in a bucket (MinIO when a Docker engine answers, else an S3 server in
// this test process) and no folder in common: uploads on one instance,
// thumbnails and avatars made by whichever instance's worker takes the
// job, downloads on the other as redirects to short-lived links straight
// to the store — after the membership check, which outsiders and removed
// members still fail.
func TestFilesS3ScaleOut(t *testing.T) {
	store := services.S3(t)
	t.Logf("S3 store: %s", store.Kind)
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET": scaleOutSecret, "RATE_REGISTER": "off",
		"BLOB_URL":      store.URL(),
		"S3_ACCESS_KEY": store.AccessKey, "S3_SECRET_KEY": store.SecretKey,
	}
	var dataDirs []string
	instance := func() *server {
		e := map[string]string{"DATA_DIR": t.TempDir()}
		for k, v := range env {
			e[k] = v
		}
		dataDirs = append(dataDirs, e["DATA_DIR"])
		return start(t, e)
	}
	c := cluster{A: instance(), B: instance()}

	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("bucket", true)
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", room.ID), map[string]any{"user_id": bob.ID}, nil)
	sb := bob.dial(room.ID, "") // on B

	photo := imagestest.PNG(t, 1000, 500)
	f := alice.share(room.ID, "holiday.png", "image/png", photo) // on A
	shared := sb.nextFileEvent("file_shared", f.ID)
	updated := sb.nextFileEvent("file_updated", f.ID)
	if updated.ThumbnailURL == "" {
		t.Fatalf("file_updated without a thumbnail_url: %+v", updated)
	}

	// The original: bob's link, on the other instance, redirects to the
	// store; the store answers with the bytes and the headers chatd asked
	// for.
	r, loc := redirected(t, c.B.URL+shared.FileURL, "")
	if !bytes.Equal(r.Body, photo) || r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline;") {
		t.Errorf("original: %d bytes, %q, %q", len(r.Body), r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	if loc.Host != store.Endpoint || loc.Query().Get("X-Amz-Expires") != "300" || loc.Query().Get("X-Amz-Signature") == "" {
		t.Errorf("redirected to %s, want a presigned link to %s living 300 s", loc, store.Endpoint)
	}
	// The thumbnail, made by a worker and written to the bucket.
	r, _ = redirected(t, c.A.URL+updated.ThumbnailURL, "")
	typ, img := decodeImage(t, r.Body)
	if b := img.Bounds(); typ != "webp" || b.Dx() != 400 || b.Dy() != 200 || r.Header.Get("Content-Type") != "image/webp" {
		t.Errorf("thumbnail: %s %d×%d served as %q, want a 400×200 webp", typ, b.Dx(), b.Dy(), r.Header.Get("Content-Type"))
	}
	// By token, with a range: the store answers the range.
	req, _ := http.NewRequest("GET", c.A.URL+fmt.Sprintf("/files/%d", f.ID), nil)
	req.Header.Set("Authorization", "Bearer "+bob.token)
	req.Header.Set("Range", "bytes=0-7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(head, photo[:8]) {
		t.Errorf("range by token: %d, %d bytes", resp.StatusCode, len(head))
	}

	// A file that is no image goes out as an attachment, never inline.
	page := alice.share(room.ID, "page.html", "text/html", []byte("<!DOCTYPE html><script>alert(1)</script>"))
	r, _ = redirected(t, c.B.URL+page.FileURL, "")
	if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") || strings.Contains(r.Header.Get("Content-Type"), "html") {
		t.Errorf("an HTML upload served as %q, %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}

	// An upload over the limit is refused and leaves nothing in the bucket.
	if r := alice.upload(fmt.Sprintf("/rooms/%d/files", room.ID), "huge.bin", "", make([]byte, 25<<20+1)); r.Status != 413 {
		t.Errorf("over MAX_UPLOAD_BYTES: %d %s", r.Status, r.Body)
	}

	// The avatar: uploaded on A, made by a worker, seen on B.
	if r := alice.upload("/users/me/avatar", "me.jpg", "image/jpeg", imagestest.JPEGWithOrientation(t, 600, 400, 6)); r.Status != 202 {
		t.Fatalf("avatar upload: %d %s", r.Status, r.Body)
	}
	var me struct {
		AvatarURL *string `json:"avatar_url"`
	}
	onB := alice.on(c.B)
	eventually(t, "avatar_url on the other instance", func() bool {
		onB.must(200, "GET", "/users/me", nil, &me)
		return me.AvatarURL != nil
	})
	r, _ = redirected(t, c.B.URL+*me.AvatarURL, "")
	if _, img := decodeImage(t, r.Body); img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Errorf("avatar is %v, want 256×256", img.Bounds())
	}

	// Outsiders and removed members get no link at all.
	outsider := newUser(t, c.B, "outsider")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u, token string) *http.Response {
		req, _ := http.NewRequest("GET", u, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(c.A.URL+fmt.Sprintf("/files/%d", f.ID), outsider.token); resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
		t.Errorf("outsider: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", room.ID, bob.ID), nil, nil)
	for _, s := range []*server{c.A, c.B} {
		if resp := get(s.URL+shared.FileURL, ""); resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
			t.Errorf("removed member's link on %s: %d, Location %q", s.URL, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// What the bucket holds: the two files, the thumbnail and the avatar;
	// no avatar original, nothing of the refused upload. No folder on
	// either instance holds a file.
	keys := bucketKeys(t, store)
	var files, thumbs, avatars int
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "f/"):
			files++
		case strings.HasPrefix(k, "t/"):
			thumbs++
		case strings.HasPrefix(k, "a/"):
			avatars++
		default:
			t.Errorf("unexpected object %s", k)
		}
	}
	if files != 2 || thumbs != 1 || avatars != 1 {
		t.Errorf("bucket holds %v, want 2 files, 1 thumbnail, 1 avatar", keys)
	}
	for _, d := range dataDirs {
		if _, err := os.Stat(filepath.Join(d, "uploads")); err == nil {
			t.Errorf("%s has an uploads folder", d)
		}
	}
	for _, s := range []*server{c.A, c.B} {
		scanLines(s.logs.String(), func(line string) {
			if strings.Contains(line, `"status":500`) || strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("server error in %s's log: %s", s.URL, line)
			}
			if strings.Contains(line, store.SecretKey) {
				t.Errorf("the S3 secret key in %s's log: %s", s.URL, line)
			}
		})
	}
}

// redirected GETs a chatd link that must redirect to the store, follows
// it, and returns the store's answer and where it was sent.
func redirected(t *testing.T, link, token string) (response, *url.URL) {
	t.Helper()
	var to *url.URL
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 1 {
			return fmt.Errorf("redirected twice")
		}
		to = req.URL
		return nil
	}}
	req, _ := http.NewRequest("GET", link, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if to == nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s, redirected to %v; want 200 from the store", link, resp.StatusCode, body, to)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}, to
}

// bucketKeys lists the store's bucket.
func bucketKeys(t *testing.T, s services.S3Server) []string {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []string
	for o := range c.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}
