package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"chat/adapters/metrics"
	"chat/ports"
)

// metricsConfig is where Prometheus scrapes chatd.
type metricsConfig struct {
	// MetricsAddr is the listen address of GET /metrics, a listener of its
	// own; empty: no metrics are kept or served.
	MetricsAddr string
}

// queueDepthInterval is how often the job queue is counted for
// chat_job_queue_jobs: a scrape interval or so.
const queueDepthInterval = 15 * time.Second

func loadMetrics(getenv func(string) string, c *config) []error {
	c.MetricsAddr = or(getenv("METRICS_ADDR"), "")
	if c.MetricsAddr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.MetricsAddr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return []error{fmt.Errorf("METRICS_ADDR %q must be host:port, such as :9090 or 127.0.0.1:9090", c.MetricsAddr)}
	}
	if ahost, aport, err := net.SplitHostPort(c.Addr); err == nil && aport == port && port != "0" &&
		(ahost == host || ahost == "" || host == "" || ahost == "0.0.0.0" || host == "0.0.0.0" || ahost == "::" || host == "::") {
		return []error{fmt.Errorf("METRICS_ADDR %q must not be ADDR's port: metrics are never served on the public listener", c.MetricsAddr)}
	}
	return nil
}

// observer is what every adapter reports to: the metrics with
// METRICS_ADDR, else nobody.
type observer interface {
	ports.SocketObserver
	ports.DeliveryObserver
	ports.RequestObserver
	ports.CommitObserver
	ports.BusObserver
	ports.JobObserver
}

// newObserver returns the observer and the handler of GET /metrics (nil
// without METRICS_ADDR).
func newObserver(cfg config) (observer, http.Handler) {
	if cfg.MetricsAddr == "" {
		return ports.Unobserved{}, nil
	}
	m := metrics.New()
	return m, m.Handler()
}

// startMetrics serves h at GET /metrics on its own listener until ctx
// ends; every other path is 404. It is never mounted on the public
// listener, so it cannot be public by accident.
func startMetrics(ctx context.Context, g *errgroup.Group, addr string, h http.Handler, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR: %w", err)
	}
	log.Info("metrics listening", "url", "http://"+displayAddr(ln.Addr())+"/metrics")
	serveSide(ctx, g, ln, mux)
	return nil
}
