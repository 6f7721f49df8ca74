package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml (OpenAPI 3.1), the REST contract.
//
//go:embed openapi.yaml
var OpenAPI []byte
