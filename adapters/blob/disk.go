package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"chat/domain"
	"chat/ports"
)

var _ ports.BlobStore = (*Disk)(nil)

// Disk stores blobs as files under a root directory: files 0600,
// directories 0700.
type Disk struct {
	root string
}

// tmpDir holds writes in progress, on the same file system as their
// destination so the final rename is atomic.
const tmpDir = ".tmp"

// NewDisk returns a store rooted at root, creating it if needed. Leftovers
// of writes interrupted by a crash are removed.
func NewDisk(root string) (*Disk, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob root %q: %w", root, err)
	}
	tmp := filepath.Join(abs, tmpDir)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clear %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	return &Disk{root: abs}, nil
}

var errKey = domain.Errorf(domain.Invalid, "invalid_key", "invalid storage key")

// checkKey enforces ports.BlobStore's key rule, the same for every store:
// only [a-z0-9/._-], slash-separated non-empty parts, none "." or "..", and
// nothing under the disk store's temporary directory.
func checkKey(key string) error {
	if key == "" || len(key) > 512 || key[0] == '/' || key[len(key)-1] == '/' || strings.HasPrefix(key, tmpDir) {
		return errKey
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '.' || c == '_' || c == '-') {
			return errKey
		}
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return errKey
		}
	}
	return nil
}

// path validates key and returns its file name.
func (d *Disk) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes r to a temporary file, syncs it, and renames it to key's path.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (int64, error) {
	name, err := d.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return 0, fmt.Errorf("create directory for %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Join(d.root, tmpDir), "put-*")
	if err != nil {
		return 0, fmt.Errorf("create temporary file for %s: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, io.LimitReader(ctxReader{ctx, r}, maxBytes+1))
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	if n > maxBytes {
		return 0, domain.Errorf(domain.TooMany, "file_too_large", "file is larger than %d bytes", maxBytes)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", key, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return 0, fmt.Errorf("rename into %s: %w", key, err)
	}
	committed = true
	syncDir(filepath.Dir(name))
	return n, nil
}

// syncDir makes a rename durable. Failure is harmless for correctness (the
// file is complete either way), so it is not reported.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

// Open opens key's file.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadSeekCloser, ports.BlobInfo, error) {
	name, err := d.path(key)
	if err != nil {
		return nil, ports.BlobInfo{}, err
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ports.BlobInfo{}, domain.Errorf(domain.NotFound, "file_not_found", "file not found")
		}
		return nil, ports.BlobInfo{}, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, ports.BlobInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, ports.BlobInfo{}, domain.Errorf(domain.NotFound, "file_not_found", "file not found")
	}
	return f, ports.BlobInfo{Size: st.Size(), ModTime: st.ModTime().UTC()}, nil
}

// Delete removes key's file; a missing file is fine.
func (d *Disk) Delete(ctx context.Context, key string) error {
	name, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
