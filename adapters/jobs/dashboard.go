package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"riverqueue.com/riverui"
)

// Dashboard is River UI (riverqueue.com/riverui: its API and its built
// frontend, embedded in the module) on the queue's database, served under
// a path prefix. It authorizes nobody: mount it behind the
// administrators' check.
type Dashboard struct {
	h *riverui.Handler
}

// Dashboard builds River UI over the queue's inserting client (River over
// database/sql: riverdatabasesql on PostgreSQL, riversqlite on SQLite), so
// it works in both modes and whether or not this process runs workers.
// prefix is where it is mounted ("/admin/jobs").
func (q *Queue) Dashboard(logger *slog.Logger, prefix string) (*Dashboard, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(q.ins, nil),
		Logger:    logger,
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	return &Dashboard{h: h}, nil
}

// Start starts the dashboard's background services (count caches); they
// stop when ctx ends. Serve requests only after it returned.
func (d *Dashboard) Start(ctx context.Context) error {
	if err := d.h.Start(ctx); err != nil {
		return fmt.Errorf("start river ui: %w", err)
	}
	return nil
}

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.h.ServeHTTP(w, r) }
