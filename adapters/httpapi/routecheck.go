package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"
)

// documentedMethods are the HTTP methods an OpenAPI path item may describe.
var documentedMethods = map[string]bool{
	http.MethodGet: true, http.MethodPut: true, http.MethodPost: true, http.MethodDelete: true,
	http.MethodOptions: true, http.MethodHead: true, http.MethodPatch: true, http.MethodTrace: true,
}

// RouteDiff compares echo's routes with an OpenAPI document's paths, as
// "METHOD /path/{param}" lines: undocumented are served but not in the
// document, unserved are documented but not served. Echo's special routes
// (not-found fallbacks) are ignored.
func RouteDiff(routes []*echo.Route, openAPI []byte) (undocumented, unserved []string, err error) {
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse OpenAPI document: %w", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if m := strings.ToUpper(method); documentedMethods[m] {
				documented[m+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range routes {
		if documentedMethods[r.Method] {
			served[r.Method+" "+openAPIPath(r.Path)] = true
		}
	}
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] {
			unserved = append(unserved, k)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	return undocumented, unserved, nil
}

// openAPIPath turns echo's "/rooms/:id" into OpenAPI's "/rooms/{id}",
// and a trailing wildcard ("/admin/jobs/*") into "{path}".
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
		if s == "*" && i == len(segs)-1 {
			segs[i] = "{path}"
		}
	}
	return strings.Join(segs, "/")
}
