package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chat/adapters/blob"
	"chat/application"
	"chat/ports"
)

// blobConfig is where files, thumbnails and avatars are kept: a bucket of
// an S3-compatible store when BLOB_URL is set, else the disk (UPLOAD_PATH).
type blobConfig struct {
	S3      *blob.S3Config // nil: the disk
	LinkTTL time.Duration  // S3: how long a download link to the store works
}

// BLOB_URL's query parameters, each with what it takes.
var blobParams = map[string]string{
	"endpoint":      "host[:port] of the store (default s3.amazonaws.com)",
	"region":        "the bucket's region (default us-east-1)",
	"secure":        "true (https, the default) or false",
	"path_style":    "true (bucket in the path, as MinIO wants) or false (the default)",
	"public_url":    "http(s)://host[:port] browsers reach the store at, when not the endpoint",
	"create_bucket": "true or false (the default): create the bucket at start when it is missing",
	"timeout":       "duration from 1s to 5m (default 30s): bound on every wait on the store",
	"link_ttl":      "duration from 10s to 1h (default 5m): how long a download link works",
}

// loadBlob parses BLOB_URL and the S3 credentials into c, returning every
// mistake. No message quotes BLOB_URL or a credential: either may hold a
// secret.
func loadBlob(getenv func(string) string, c *blobConfig) []error {
	c.LinkTTL = application.DefaultLinkTTL
	raw := strings.TrimSpace(getenv("BLOB_URL"))
	accessName, secretName := "S3_ACCESS_KEY", "S3_SECRET_KEY"
	access, secret := getenv(accessName), getenv(secretName)
	if access == "" && secret == "" {
		accessName, secretName = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"
		access, secret = getenv(accessName), getenv(secretName)
	}
	if raw == "" {
		if getenv("S3_ACCESS_KEY") != "" || getenv("S3_SECRET_KEY") != "" {
			return []error{errors.New("S3_ACCESS_KEY or S3_SECRET_KEY is set without BLOB_URL: files would go to UPLOAD_PATH; set BLOB_URL to the bucket, or unset them")}
		}
		return nil
	}
	const form = "BLOB_URL must look like s3://BUCKET?endpoint=HOST:PORT&region=REGION (credentials go in S3_ACCESS_KEY and S3_SECRET_KEY)"
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Opaque != "" {
		return []error{errors.New(form)}
	}
	var errs []error
	if u.User != nil {
		errs = append(errs, errors.New("BLOB_URL must not carry credentials: put them in S3_ACCESS_KEY and S3_SECRET_KEY"))
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		errs = append(errs, errors.New("BLOB_URL names a bucket, not a folder in it: s3://BUCKET?… with no path"))
	}
	if !validBucket(u.Host) {
		errs = append(errs, fmt.Errorf("BLOB_URL: bucket %q must be 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit", u.Host))
	}
	s := &blob.S3Config{Bucket: u.Host, Endpoint: "s3.amazonaws.com", Secure: true, Region: "us-east-1", Timeout: blob.DefaultS3Timeout}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return append(errs, errors.New("BLOB_URL: the query cannot be parsed; "+form))
	}
	for name, vs := range q {
		if _, ok := blobParams[name]; !ok {
			errs = append(errs, fmt.Errorf("BLOB_URL: unknown parameter %q (known: endpoint, region, secure, path_style, public_url, create_bucket, timeout, link_ttl)", name))
		} else if len(vs) > 1 {
			errs = append(errs, fmt.Errorf("BLOB_URL: parameter %q is given %d times", name, len(vs)))
		}
	}
	if v := q.Get("endpoint"); v != "" {
		if h, err := url.Parse("//" + v); err != nil || h.Host != v || h.Hostname() == "" || h.User != nil {
			errs = append(errs, errors.New("BLOB_URL: endpoint must be host or host:port, without a scheme or path"))
		}
		s.Endpoint = v
	}
	if v := q.Get("region"); v != "" {
		if strings.ContainsFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) {
			errs = append(errs, fmt.Errorf("BLOB_URL: region %q must be lower-case letters, digits and hyphens (us-east-1)", v))
		}
		s.Region = v
	}
	for name, dst := range map[string]*bool{"secure": &s.Secure, "path_style": &s.PathStyle, "create_bucket": &s.CreateBucket} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("BLOB_URL: %s must be %s", name, blobParams[name]))
			}
			*dst = b
		}
	}
	if v := q.Get("public_url"); v != "" {
		p, err := url.Parse(v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil || strings.Trim(p.Path, "/") != "" || p.RawQuery != "" || p.Fragment != "" {
			errs = append(errs, errors.New("BLOB_URL: public_url must be http(s)://host[:port], with no path: the store's own paths are signed"))
		} else {
			p.Path = ""
			s.PublicURL = p
		}
	}
	for _, d := range []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"timeout", &s.Timeout, time.Second, 5 * time.Minute},
		{"link_ttl", &c.LinkTTL, 10 * time.Second, time.Hour},
	} {
		if v := q.Get(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < d.min || t > d.max {
				errs = append(errs, fmt.Errorf("BLOB_URL: %s %q must be a %s", d.name, v, blobParams[d.name]))
				continue
			}
			*d.dst = t
		}
	}
	switch {
	case access == "" && secret == "":
		errs = append(errs, errors.New("BLOB_URL is set but S3_ACCESS_KEY and S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) are not"))
	case access == "":
		errs = append(errs, fmt.Errorf("%s is set but %s is not", secretName, accessName))
	case secret == "":
		errs = append(errs, fmt.Errorf("%s is set but %s is not", accessName, secretName))
	}
	s.AccessKey, s.SecretKey = access, secret
	if getenv("UPLOAD_PATH") != "" {
		errs = append(errs, errors.New("UPLOAD_PATH is set with BLOB_URL: files go to the bucket, not to a folder; unset one of them"))
	}
	c.S3 = s
	return errs
}

// validBucket is S3's rule for bucket names (the DNS-compatible one).
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Contains(b, "..") {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		edge := i == 0 || i == len(b)-1
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') && (edge || c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// blobs is the configured blob store, its linker when it makes download
// links (S3), and the origins the web client loads images from.
type blobs struct {
	store        ports.BlobStore
	linker       ports.BlobLinker
	imageOrigins []string
}

// openBlobs opens the configured store. On S3 it checks the bucket (or
// creates it, when allowed) so a wrong bucket stops the start, not the
// first upload.
func openBlobs(ctx context.Context, cfg config, log *slog.Logger) (blobs, error) {
	if cfg.S3 == nil {
		d, err := blob.NewDisk(cfg.UploadPath)
		if err != nil {
			return blobs{}, fmt.Errorf("upload directory: %w", err)
		}
		log.Info("file storage", "store", "disk", "path", cfg.UploadPath)
		return blobs{store: d}, nil
	}
	s, err := blob.NewS3(ctx, *cfg.S3)
	if err != nil {
		return blobs{}, fmt.Errorf("BLOB_URL: %w", err)
	}
	log.Info("file storage", "store", cfg.S3.String(), "link_ttl", cfg.LinkTTL.String())
	return blobs{store: s, linker: s, imageOrigins: []string{cfg.S3.PublicOrigin()}}, nil
}
