package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the wire at the driving edge: the application and the
// domain speak in domain values and import neither JSON, HTTP nor URLs
// (adapters/wire owns every byte a client sees), and the WebSocket adapter
// reaches the application only through the domain's interfaces.
func TestLayers(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list packages: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-json=ImportPath,Imports", "chat/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	imports := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		imports[p.ImportPath] = p.Imports
	}
	if len(imports) == 0 || imports["chat/application"] == nil {
		t.Fatalf("go list found no chat/application: %v", imports)
	}
	wireOnly := []string{"encoding/json", "net/http", "net/url"}
	forbidden := map[string][]string{"chat/adapters/ws": {"chat/application"}}
	for pkg := range imports {
		if pkg == "chat/application" || pkg == "chat/domain" || strings.HasPrefix(pkg, "chat/domain/") {
			forbidden[pkg] = append(forbidden[pkg], wireOnly...)
		}
	}
	for pkg, banned := range forbidden {
		for _, imp := range imports[pkg] {
			for _, b := range banned {
				if imp == b {
					t.Errorf("%s imports %s", pkg, b)
				}
			}
		}
	}
}
