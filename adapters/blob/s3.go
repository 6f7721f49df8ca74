package blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"chat/adapters/wire"
	"chat/domain"
	"chat/ports"
)

var (
	_ ports.BlobStore  = (*S3)(nil)
	_ ports.BlobLinker = (*S3)(nil)
)

// S3Config locates a bucket on an S3-compatible store (AWS S3, MinIO,
// Ceph, R2, …). Credentials are never printed: S3Config has a String
// method that leaves them out.
type S3Config struct {
	Endpoint  string // host[:port] chatd reaches the store at
	Secure    bool   // https to Endpoint
	Region    string // "": us-east-1; always set, so no call asks the store for it
	Bucket    string
	PathStyle bool // bucket in the path (MinIO's way), not in the host name
	AccessKey string
	SecretKey string
	// PublicURL is where browsers reach the store, scheme://host[:port],
	// when it is not Endpoint (a store behind the load balancer, or on an
	// internal name): presigned links are signed for that host. nil:
	// Endpoint.
	PublicURL *url.URL
	// Timeout bounds every wait on the store: a call that gets no answer,
	// or a transfer the store stops moving, for this long fails with
	// Unavailable. 0: DefaultS3Timeout.
	Timeout time.Duration
	// CreateBucket creates the bucket at start when it is missing, rather
	// than refusing to start.
	CreateBucket bool
	// Transport carries the requests; nil: minio-go's default transport,
	// its dial and response-header waits bounded by Timeout.
	Transport http.RoundTripper
}

// DefaultS3Timeout is S3Config.Timeout's default.
const DefaultS3Timeout = 30 * time.Second

// String describes the store without its credentials.
func (c S3Config) String() string {
	scheme := "http"
	if c.Secure {
		scheme = "https"
	}
	s := "s3://" + c.Bucket + " at " + scheme + "://" + c.Endpoint
	if c.PublicURL != nil {
		s += " (public " + c.PublicURL.String() + ")"
	}
	return s
}

// PublicOrigin is the origin browsers load presigned links from, for the
// web client's Content-Security-Policy.
func (c S3Config) PublicOrigin() string {
	if c.PublicURL != nil {
		return c.PublicURL.Scheme + "://" + c.PublicURL.Host
	}
	if c.Secure {
		return "https://" + c.Endpoint
	}
	return "http://" + c.Endpoint
}

// s3PartSize is the most Put holds in memory for one upload: objects up to
// it go in one request; larger ones are streamed in parts of this size (5
// MiB, S3's smallest part) as a multipart upload.
const s3PartSize = 5 << 20

// S3 stores blobs as objects of one bucket through minio-go.
//
// Writes are atomic as the port asks: an object up to s3PartSize is sent in
// one PUT once it has been read whole; a larger one is a multipart upload,
// which the store makes visible only when it is completed, and which is
// aborted — leaving nothing, and any older object under the key untouched —
// when the upload proves larger than its limit or its reader fails.
type S3 struct {
	cfg     S3Config
	client  *minio.Client
	public  *minio.Client // signs links for PublicURL (the client itself when nil)
	timeout time.Duration
}

// NewS3 connects to the store and checks that the bucket exists, creating
// it when cfg.CreateBucket allows; otherwise a missing bucket is an error.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultS3Timeout
	}
	newClient := func(endpoint string, secure bool) (*minio.Client, error) {
		tr := cfg.Transport
		if tr == nil {
			t, err := minio.DefaultTransport(secure)
			if err != nil {
				return nil, err
			}
			t.DialContext = (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext
			t.ResponseHeaderTimeout = cfg.Timeout
			tr = t
		}
		lookup := minio.BucketLookupAuto
		if cfg.PathStyle {
			lookup = minio.BucketLookupPath
		}
		return minio.New(endpoint, &minio.Options{
			Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Secure:       secure,
			Region:       cfg.Region,
			BucketLookup: lookup,
			Transport:    tr,
			// A store that is down fails the call within Timeout (the
			// watchdog's) instead of being retried for minutes.
			MaxRetries: 2,
		})
	}
	client, err := newClient(cfg.Endpoint, cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", cfg, err)
	}
	s := &S3{cfg: cfg, client: client, public: client, timeout: cfg.Timeout}
	if p := cfg.PublicURL; p != nil {
		if s.public, err = newClient(p.Host, p.Scheme == "https"); err != nil {
			return nil, fmt.Errorf("S3 client for public URL %s: %w", p, err)
		}
	}
	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ensureBucket checks the bucket, creating it when allowed. Instances
// starting together may race to create it: the loser finds it made.
func (s *S3) ensureBucket(ctx context.Context) error {
	ctx, dog := s.watch(ctx)
	defer dog.stop()
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.fail(ctx, "check bucket", s.cfg.Bucket, err)
	}
	if ok {
		return nil
	}
	if !s.cfg.CreateBucket {
		return fmt.Errorf("bucket %q does not exist at %s: create it, or add create_bucket=true to BLOB_URL", s.cfg.Bucket, s.cfg.Endpoint)
	}
	err = s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region})
	if code := errorCode(err); err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
		return s.fail(ctx, "create bucket", s.cfg.Bucket, err)
	}
	return nil
}

// Put stores r under key; see S3 for how a write stays atomic.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	ctx, dog := s.watch(ctx)
	defer dog.stop()
	// While the reader (a client's upload) is read, the watchdog rests:
	// the reader has deadlines of its own, and a slow client is no sign
	// of a stalled store.
	body := &pausingReader{r: ctxReader{ctx, r}, dog: dog}
	limit := min(maxBytes+1, s3PartSize)
	var head bytes.Buffer
	n, err := head.ReadFrom(io.LimitReader(body, limit))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	if n > maxBytes {
		return 0, errTooLarge(maxBytes)
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if n < limit { // all of it: one request
		if _, err := s.client.PutObject(ctx, s.cfg.Bucket, key, bytes.NewReader(head.Bytes()), n, opts); err != nil {
			return 0, s.fail(ctx, "put", key, err)
		}
		return n, nil
	}
	return s.putParts(ctx, key, head.Bytes(), body, maxBytes, opts)
}

// putParts streams an object larger than one part as a multipart upload:
// first (a whole part, already read), then the rest of r part by part,
// each part signed with its SHA-256 and checked by its MD5. The object
// appears only when the upload completes; any failure — the limit passed,
// the reader failing, the store failing — aborts it.
func (s *S3) putParts(ctx context.Context, key string, first []byte, r io.Reader, maxBytes int64, opts minio.PutObjectOptions) (size int64, err error) {
	core := minio.Core{Client: s.client}
	id, err := core.NewMultipartUpload(ctx, s.cfg.Bucket, key, opts)
	if err != nil {
		return 0, s.fail(ctx, "start upload", key, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// Aborted even when ctx has ended: the parts would otherwise be
		// kept (and billed) until a lifecycle rule removes them.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		_ = core.AbortMultipartUpload(actx, s.cfg.Bucket, key, id)
	}()
	var parts []minio.CompletePart
	buf := make([]byte, s3PartSize)
	part := first
	for n := 1; ; n++ {
		size += int64(len(part))
		if size > maxBytes {
			return 0, errTooLarge(maxBytes)
		}
		sum256 := sha256.Sum256(part)
		sumMD5 := md5.Sum(part)
		p, err := core.PutObjectPart(ctx, s.cfg.Bucket, key, id, n, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{
			Sha256Hex: hex.EncodeToString(sum256[:]), Md5Base64: base64.StdEncoding.EncodeToString(sumMD5[:]),
			DisableContentSha256: true, // signed with Sha256Hex, not with a streaming signature
		})
		if err != nil {
			return 0, s.fail(ctx, "upload part", key, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		// At most one byte past the limit is read: enough to know.
		k, rerr := io.ReadFull(io.LimitReader(r, maxBytes+1-size), buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("read %s: %w", key, rerr)
		}
		if k == 0 {
			break
		}
		part = buf[:k]
	}
	if _, err := core.CompleteMultipartUpload(ctx, s.cfg.Bucket, key, id, parts, opts); err != nil {
		return 0, s.fail(ctx, "complete upload", key, err)
	}
	return size, nil
}

func errTooLarge(maxBytes int64) error {
	return domain.Errorf(domain.TooMany, "file_too_large", "file is larger than %d bytes", maxBytes)
}

// Open returns the object; its reads go to the store as they come (with
// ranges after a Seek).
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, ports.BlobInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, ports.BlobInfo{}, err
	}
	ctx, dog := s.watch(ctx)
	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		dog.stop()
		return nil, ports.BlobInfo{}, s.fail(ctx, "open", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		dog.stop()
		return nil, ports.BlobInfo{}, s.fail(ctx, "open", key, err)
	}
	dog.pause()
	return &s3Object{obj: obj, dog: dog, s: s, ctx: ctx, key: key}, ports.BlobInfo{Size: st.Size, ModTime: st.LastModified.UTC()}, nil
}

// Delete removes key's object; S3 answers an absent key like a present one.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	ctx, dog := s.watch(ctx)
	defer dog.stop()
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil && errorCode(err) != "NoSuchKey" {
		return s.fail(ctx, "delete", key, err)
	}
	return nil
}

// PresignGet signs a GET of key for the public URL, asking the store to
// answer with h's headers (S3's response-* overrides). Signing is local:
// the region is configured, so nothing is asked of the store.
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration, h ports.BlobHeaders) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	q := url.Values{}
	if h.ContentType != "" {
		q.Set("response-content-type", h.ContentType)
	}
	if h.Filename != "" {
		q.Set("response-content-disposition", wire.ContentDisposition(h.Inline, h.Filename))
	}
	cache := "no-store"
	if h.MaxAge > 0 {
		cache = "private, max-age=" + strconv.Itoa(int(h.MaxAge/time.Second))
	}
	q.Set("response-cache-control", cache)
	ctx, dog := s.watch(ctx)
	defer dog.stop()
	u, err := s.public.PresignedGetObject(ctx, s.cfg.Bucket, key, ttl, q)
	if err != nil {
		return "", s.fail(ctx, "presign", key, err)
	}
	return u.String(), nil
}

// errStalled is the cause of a call the watchdog cut.
var errStalled = errors.New("the blob store made no progress within its timeout")

// fail translates an error of a call on key into the port's kinds.
func (s *S3) fail(ctx context.Context, op, key string, err error) error {
	cause := fmt.Errorf("S3 %s %s: %w", op, key, err)
	if errors.Is(context.Cause(ctx), errStalled) {
		return domain.Wrap(domain.Unavailable, "storage_unavailable", "file storage does not answer", fmt.Errorf("%w (%v)", cause, errStalled))
	}
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return domain.Wrap(domain.NotFound, "file_not_found", "file not found", cause)
	case "NoSuchBucket":
		return fmt.Errorf("%w: the bucket %q is gone", cause, s.cfg.Bucket)
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized":
		return domain.Wrap(domain.Unavailable, "storage_unavailable", "file storage is busy", cause)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return domain.Wrap(domain.Unavailable, "storage_unavailable", "file storage does not answer", cause)
	}
	return cause
}

// errorCode is the S3 error code in err's chain ("NoSuchKey"), or "".
func errorCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// s3Object is an open object; each read must make progress within the
// store's timeout, and closing it ends the object's requests.
type s3Object struct {
	obj *minio.Object
	dog *watchdog
	s   *S3
	ctx context.Context
	key string
}

func (o *s3Object) Read(p []byte) (int, error) {
	o.dog.resume()
	n, err := o.obj.Read(p)
	o.dog.pause()
	if err != nil && !errors.Is(err, io.EOF) {
		return n, o.s.fail(o.ctx, "read", o.key, err)
	}
	return n, err
}

func (o *s3Object) Seek(offset int64, whence int) (int64, error) {
	return o.obj.Seek(offset, whence)
}

func (o *s3Object) Close() error {
	o.dog.stop()
	return o.obj.Close()
}

// watch derives a context the returned watchdog cancels (with errStalled)
// once it has been running for the timeout without a pause.
func (s *S3) watch(ctx context.Context) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	d := &watchdog{timeout: s.timeout, cancel: cancel}
	d.timer = time.AfterFunc(s.timeout, func() { cancel(errStalled) })
	return ctx, d
}

// watchdog bounds the time spent waiting on the store. It runs while the
// store has the turn (answering, taking or giving bytes) and rests while
// the caller does (reading a client's upload, or between the reads of an
// object): each resume gives the store a full timeout again, so a long
// transfer that keeps moving is never cut, and one that stops is.
type watchdog struct {
	timer   *time.Timer
	timeout time.Duration
	cancel  context.CancelCauseFunc
}

func (d *watchdog) pause()  { d.timer.Stop() }
func (d *watchdog) resume() { d.timer.Reset(d.timeout) }

// stop ends the watch and releases its context.
func (d *watchdog) stop() {
	d.timer.Stop()
	d.cancel(nil)
}

// pausingReader pauses a watchdog while its reader is read.
type pausingReader struct {
	r   io.Reader
	dog *watchdog
}

func (p *pausingReader) Read(b []byte) (int, error) {
	p.dog.pause()
	n, err := p.r.Read(b)
	p.dog.resume()
	return n, err
}
