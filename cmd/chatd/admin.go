package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"
)

func migrate(ctx context.Context, cfg config, dir string, stdout io.Writer) error {
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	switch dir {
	case "up", "down":
		if err := db.Migrate(ctx, dir); err != nil {
			return err
		}
	case "version":
	default:
		return fmt.Errorf("%s", usage)
	}
	v, dirty, err := db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d (dirty=%v)\n", v, dirty)
	return nil
}

// backup writes a consistent copy of the embedded database while the
// server may be serving (SQLite's VACUUM INTO reads one snapshot).
func backup(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	if !cfg.embedded() {
		return errors.New("backup copies the embedded SQLite database; with DATABASE_URL use pg_dump")
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	if err := db.Backup(ctx, abs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s\n", abs)
	return nil
}

func healthcheck(ctx context.Context, cfg config) error {
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %d", resp.StatusCode)
	}
	return nil
}
