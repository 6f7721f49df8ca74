package migrations

import "embed"

// FS holds the SQL files of both dialects, postgres/*.sql and sqlite/*.sql,
// named NNNNNN_title.up.sql / .down.sql as golang-migrate expects.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
