package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chat/adapters/blob"
	"chat/ports"
	"chat/ports/porttest"
)

func TestBlobDiskContract(t *testing.T) {
	porttest.BlobStore(t, func(t *testing.T) ports.BlobStore {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestBlobDiskPermissions checks files are private to the server's user and
// that no temporary file survives a write, failed or not.
func TestBlobDiskPermissions(t *testing.T) {
	root := t.TempDir()
	d, err := blob.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.Put(ctx, "f/ab/abc.bin", strings.NewReader("data"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "f/ab/big.bin", strings.NewReader("too much data"), 4); err == nil {
		t.Fatal("over-size Put succeeded")
	}
	for _, tc := range []struct {
		rel  string
		want os.FileMode
	}{
		{"f", 0o700}, {"f/ab", 0o700}, {"f/ab/abc.bin", 0o600},
	} {
		st, err := os.Stat(filepath.Join(root, tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != tc.want {
			t.Errorf("%s: mode %v, want %v", tc.rel, got, tc.want)
		}
	}
	left, err := os.ReadDir(filepath.Join(root, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestBlobDiskRejectsTmpKeys checks a key cannot name a write in progress.
func TestBlobDiskRejectsTmpKeys(t *testing.T) {
	d, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(context.Background(), ".tmp/x", strings.NewReader("x"), 10); err == nil {
		t.Error("a key inside the temporary directory was accepted")
	}
}
