// Package docs carries the API description, docs/openapi.yaml, into the
// binary so the server can serve it at /openapi.yaml.
//
// It imports the standard library only.
package docs
