package test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPackageHasADocGo walks the module: every directory with Go files
// has a doc.go whose package comment says what the package is for and
// what it may or must not import (the word "import" must appear), so a new
// package cannot land without saying where it stands in the layers.
func TestEveryPackageHasADocGo(t *testing.T) {
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "dist") {
			return filepath.SkipDir
		}
		goFiles, err := filepath.Glob(filepath.Join(path, "*.go"))
		if err != nil || len(goFiles) == 0 {
			return err
		}
		doc := filepath.Join(path, "doc.go")
		if _, err := os.Stat(doc); err != nil {
			t.Errorf("%s: no doc.go", path)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), doc, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			return nil
		}
		text := f.Doc.Text()
		switch {
		case strings.TrimSpace(text) == "":
			t.Errorf("%s: no package comment", doc)
		case !strings.Contains(strings.ToLower(text), "import"):
			t.Errorf("%s: the package comment does not say what the package may import", doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
