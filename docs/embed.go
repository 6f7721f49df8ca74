// Package docs carries the API description, docs/openapi.yaml, into the
// binary so the server can serve it at /openapi.yaml.
//
// It imports the standard library only.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml (OpenAPI 3.1), the REST contract.
//
//go:embed openapi.yaml
var OpenAPI []byte
