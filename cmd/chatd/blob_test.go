package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"chat/test/proc"
	"chat/test/services"
)

// s3Secret is a secret key no message may ever show.
const s3Secret = "s3-secret-never-printed"

func TestLoadBlob(t *testing.T) {
	keys := []string{"S3_ACCESS_KEY", "chat", "S3_SECRET_KEY", s3Secret}
	with := func(kv ...string) func(string) string { return env(append(append([]string{}, keys...), kv...)...) }
	tests := []struct {
		name    string
		getenv  func(string) string
		wantErr []string // each must appear
		check   func(t *testing.T, c config)
	}{
		{"unset: the disk", env("UPLOAD_PATH", "/srv/up"), nil, func(t *testing.T, c config) {
			if c.S3 != nil || c.UploadPath != "/srv/up" {
				t.Errorf("got S3 %v, upload path %q", c.S3, c.UploadPath)
			}
		}},
		{"MinIO", with("BLOB_URL", "s3://chat-files?endpoint=minio:9000&region=eu-west-1&secure=false&path_style=true&public_url=http://localhost:8000&create_bucket=true&timeout=5s&link_ttl=2m"), nil, func(t *testing.T, c config) {
			s := c.S3
			if s == nil || s.Bucket != "chat-files" || s.Endpoint != "minio:9000" || s.Region != "eu-west-1" || s.Secure || !s.PathStyle ||
				!s.CreateBucket || s.Timeout != 5*time.Second || c.LinkTTL != 2*time.Minute || s.AccessKey != "chat" || s.SecretKey != s3Secret {
				t.Errorf("got %+v, link TTL %v", s, c.LinkTTL)
			}
			if s.PublicURL == nil || s.PublicURL.String() != "http://localhost:8000" || s.PublicOrigin() != "http://localhost:8000" {
				t.Errorf("public URL %v", s.PublicURL)
			}
		}},
		{"AWS defaults, AWS variables", env("BLOB_URL", "s3://my.bucket-1", "AWS_ACCESS_KEY_ID", "AKIA", "AWS_SECRET_ACCESS_KEY", s3Secret), nil, func(t *testing.T, c config) {
			s := c.S3
			if s == nil || s.Endpoint != "s3.amazonaws.com" || !s.Secure || s.PathStyle || s.Region != "us-east-1" || s.CreateBucket ||
				s.PublicURL != nil || s.AccessKey != "AKIA" || s.PublicOrigin() != "https://s3.amazonaws.com" || c.LinkTTL != 5*time.Minute {
				t.Errorf("got %+v", s)
			}
		}},
		{"not s3", with("BLOB_URL", "https://minio:9000/bucket"), []string{"BLOB_URL must look like s3://"}, nil},
		{"credentials in the URL", with("BLOB_URL", "s3://chat:"+s3Secret+"@bucket"), []string{"BLOB_URL must not carry credentials"}, nil},
		{"a folder", with("BLOB_URL", "s3://bucket/some/folder"), []string{"BLOB_URL names a bucket"}, nil},
		{"bad bucket", with("BLOB_URL", "s3://Bad_Bucket"), []string{"BLOB_URL: bucket"}, nil},
		{"unknown parameter", with("BLOB_URL", "s3://bucket?endpoint=h:1&pathstyle=true"), []string{`BLOB_URL: unknown parameter "pathstyle"`}, nil},
		{"endpoint with a scheme", with("BLOB_URL", "s3://bucket?endpoint=http://minio:9000"), []string{"BLOB_URL: endpoint must be host or host:port"}, nil},
		{"bad flag", with("BLOB_URL", "s3://bucket?secure=maybe"), []string{"BLOB_URL: secure must be"}, nil},
		{"public URL with a path", with("BLOB_URL", "s3://bucket?public_url=https://cdn.example.com/files"), []string{"BLOB_URL: public_url must be"}, nil},
		{"public URL without scheme", with("BLOB_URL", "s3://bucket?public_url=cdn.example.com"), []string{"BLOB_URL: public_url must be"}, nil},
		{"bad timeout", with("BLOB_URL", "s3://bucket?timeout=1h"), []string{"BLOB_URL: timeout"}, nil},
		{"bad link TTL", with("BLOB_URL", "s3://bucket?link_ttl=1s"), []string{"BLOB_URL: link_ttl"}, nil},
		{"no credentials", env("BLOB_URL", "s3://bucket"), []string{"S3_ACCESS_KEY and S3_SECRET_KEY"}, nil},
		{"half the credentials", env("BLOB_URL", "s3://bucket", "S3_SECRET_KEY", s3Secret), []string{"S3_SECRET_KEY is set but S3_ACCESS_KEY is not"}, nil},
		{"with UPLOAD_PATH", with("BLOB_URL", "s3://bucket", "UPLOAD_PATH", "/uploads"), []string{"UPLOAD_PATH is set with BLOB_URL"}, nil},
		{"keys without BLOB_URL", env("S3_ACCESS_KEY", "chat", "S3_SECRET_KEY", s3Secret), []string{"S3_ACCESS_KEY or S3_SECRET_KEY is set without BLOB_URL"}, nil},
		{"every mistake at once", with("BLOB_URL", "s3://b?secure=x&timeout=y", "UPLOAD_PATH", "/u"), []string{"BLOB_URL: bucket", "secure must be", "timeout", "UPLOAD_PATH"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(tt.getenv)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to mention %q", err, w)
					}
				}
				if strings.Contains(err.Error(), s3Secret) {
					t.Errorf("the secret key is in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.S3 != nil && (strings.Contains(fmt.Sprint(c.S3), s3Secret) || strings.Contains(fmt.Sprintf("%+v", *c.S3), s3Secret)) {
				t.Errorf("the S3 configuration prints its secret: %v", c.S3)
			}
			tt.check(t, c)
		})
	}
}

// TestServeOnS3 boots chatd in-process with files in a bucket: a missing
// bucket stops the start with a message naming BLOB_URL (and no secret);
// create_bucket=true makes it; a download is a redirect to the store, whose
// origin the page's CSP lets images come from; the secret never reaches
// the logs.
func TestServeOnS3(t *testing.T) {
	srv := services.S3(t)
	creds := []string{"S3_ACCESS_KEY", srv.AccessKey, "S3_SECRET_KEY", srv.SecretKey, "LOG_LEVEL", "debug"}
	missing := "s3://chat-missing-" + services.RandomID() + "?endpoint=" + srv.Endpoint + "&secure=false&path_style=true"
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve"}, env(append([]string{"DATA_DIR", t.TempDir(), "ADDR", proc.FreeAddr(t), "BLOB_URL", missing}, creds...)...), &out)
	if err == nil || !strings.Contains(err.Error(), "BLOB_URL") || !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error()+out.String(), srv.SecretKey) {
		t.Fatalf("start with a missing bucket: %v", err)
	}

	addr := proc.FreeAddr(t)
	getenv := env(append([]string{"DATA_DIR", t.TempDir(), "ADDR", addr, "BLOB_URL", missing + "&create_bucket=true"}, creds...)...)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &proc.Logs{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, logs) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not return after cancel")
		}
		if strings.Contains(logs.String(), srv.SecretKey) {
			t.Error("the secret key is in the logs")
		}
	}()
	base := "http://" + addr
	waitReady(t, base, logs)
	token, roomID := signUpWithRoom(t, base, "sam")

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", "notes.txt")
	part.Write([]byte("kept in a bucket"))
	w.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/rooms/%d/files", base, roomID), &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		FileURL string `json:"file_url"`
	}
	json.NewDecoder(resp.Body).Decode(&file)
	resp.Body.Close()
	if resp.StatusCode != 201 || file.FileURL == "" {
		t.Fatalf("upload: %d %+v", resp.StatusCode, file)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(base + file.FileURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://"+srv.Endpoint+"/") {
		t.Fatalf("download: %d to %q, want a redirect to the store", resp.StatusCode, loc)
	}
	resp, err = http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "kept in a bucket" {
		t.Errorf("the store answered %d %q", resp.StatusCode, got)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' blob: data: http://"+srv.Endpoint+";") {
		t.Errorf("the page's CSP %q does not let images come from the store", csp)
	}
}
