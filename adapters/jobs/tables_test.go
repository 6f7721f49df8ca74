package jobs

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// riverTable matches the names of River's tables: "river_" followed by
// job, leader, queue, client (and client_queue) or migration.
var riverTable = regexp.MustCompile(`\briver_(job|leader|queue|client|migration)`)

// TestNoSQLOfRiversTables keeps River's tables River's: no Go file and no
// SQL statement of the project names one, so every job is written, read
// and migrated by River itself, with its defaults, hooks and unique-job
// rules at whatever version go.mod carries. SQL comments may name them.
func TestNoSQLOfRiversTables(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "dist", "data", "bin", "tmp":
				return filepath.SkipDir
			}
			return nil
		}
		sqlFile := strings.HasSuffix(path, ".sql")
		if !sqlFile && !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		scanned++
		lines := bufio.NewScanner(f)
		lines.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for n := 1; lines.Scan(); n++ {
			line := lines.Text()
			if sqlFile {
				line, _, _ = strings.Cut(line, "--")
			}
			if riverTable.MatchString(line) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d names a table of River's: %s", rel, n, strings.TrimSpace(lines.Text()))
			}
		}
		return lines.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned %d files under %s: not the module's tree", scanned, root)
	}
}
