package services

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// S3Server is an S3-compatible store for tests, spoken to over plain HTTP
// with path-style buckets.
type S3Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Region    string
	// Kind says which store it is: "minio" (a MinIO container) or
	// "gofakes3" (an S3 server in the test process).
	Kind string
	// Bucket is a fresh, empty bucket of this test.
	Bucket string
}

const (
	s3AccessKey = "chat-test-access"
	s3SecretKey = "chat-test-secret-0123456789"
	s3Region    = "us-east-1"
	minioImage  = "minio/minio:RELEASE.2025-04-22T22-12-26Z"
)

var (
	minioOnce     sync.Once
	minioEndpoint string // "" when no Docker engine answered or MinIO did not start
)

// S3 returns an S3 store with a fresh bucket for this test: MinIO in a
// container when a Docker engine answers, otherwise an S3 server started
// in the test process (gofakes3, in memory, closed when the test ends), so
// the code speaking S3 always runs — this never skips.
func S3(t testing.TB) S3Server {
	t.Helper()
	s := S3Server{AccessKey: s3AccessKey, SecretKey: s3SecretKey, Region: s3Region}
	minioOnce.Do(func() { minioEndpoint = startMinio() })
	if minioEndpoint != "" {
		s.Endpoint, s.Kind = minioEndpoint, "minio"
	} else {
		srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		t.Cleanup(srv.Close)
		s.Endpoint, s.Kind = strings.TrimPrefix(srv.URL, "http://"), "gofakes3"
	}
	s.Bucket = "chat-test-" + RandomID()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatalf("S3 client for %s: %v", s.Endpoint, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("create bucket %s on %s (%s): %v", s.Bucket, s.Endpoint, s.Kind, err)
	}
	return s
}

// URL is the store's bucket as chatd's BLOB_URL.
func (s S3Server) URL() string {
	return "s3://" + s.Bucket + "?endpoint=" + s.Endpoint + "&region=" + s.Region + "&secure=false&path_style=true"
}

// startMinio starts a MinIO container for the test binary when a Docker
// engine answers, and returns its host:port; "" otherwise. The container
// lives as long as the binary (testcontainers' reaper removes it).
func startMinio() string {
	defer func() { _ = recover() }() // testcontainers panics when it finds no engine
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return ""
	}
	defer provider.Close()
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	if provider.Health(hctx) != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        minioImage,
			Cmd:          []string{"server", "/data"},
			Env:          map[string]string{"MINIO_ROOT_USER": s3AccessKey, "MINIO_ROOT_PASSWORD": s3SecretKey},
			ExposedPorts: []string{"9000/tcp"},
			WaitingFor:   wait.ForHTTP("/minio/health/ready").WithPort("9000/tcp").WithStartupTimeout(90 * time.Second),
		},
		Started: true,
	})
	if err != nil {
		return ""
	}
	host, err := c.Host(ctx)
	if err != nil {
		return ""
	}
	p, err := c.MappedPort(ctx, "9000/tcp")
	if err != nil {
		return ""
	}
	return host + ":" + p.Port()
}
