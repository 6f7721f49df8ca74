package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"chat/adapters/auth"
	"chat/adapters/blob"
	"chat/adapters/httpapi"
	"chat/adapters/images"
	"chat/adapters/jobs"
	"chat/adapters/memory"
	"chat/adapters/redis"
	"chat/adapters/sqlstore"
	"chat/adapters/wire"
	"chat/adapters/ws"
	"chat/application"
	"chat/docs"
	"chat/domain"
	"chat/ports"
	"chat/web"
)

func newLogger(cfg config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// openStore opens the configured database and applies pending migrations.
func openStore(ctx context.Context, cfg config, migrateUp bool, opts ...sqlstore.Option) (*sqlstore.DB, error) {
	opts = append(opts, sqlstore.WithSearchIndex(cfg.SearchIndex))
	var (
		db  *sqlstore.DB
		err error
	)
	if cfg.embedded() {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		db, err = sqlstore.Open(ctx, "sqlite", filepath.Join(cfg.DataDir, "chat.db"), opts...)
	} else {
		// A PostgreSQL that is not answering yet (starting beside chatd,
		// restarting, or slow under load) is waited for a while with
		// backoff; requests fail fast, a start need not.
		delay := 200 * time.Millisecond
		for deadline := time.Now().Add(startWait); ; {
			db, err = sqlstore.Open(ctx, "postgres", cfg.DatabaseURL, append(opts, sqlstore.WithTimeout(cfg.StoreTimeout))...)
			if err == nil || domain.KindOf(err) != domain.Unavailable || time.Now().Add(delay).After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(delay):
			}
			delay = min(2*delay, 5*time.Second)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if migrateUp {
		if err := db.Migrate(ctx, "up"); err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	return db, nil
}

// searchStore is the search port, nil (search off) with SEARCH_INDEX=off.
func searchStore(cfg config, db *sqlstore.DB) ports.SearchStore {
	if !cfg.SearchIndex {
		return nil
	}
	return db.Search()
}

// indexBacklog indexes, beside serving, the messages the search index
// lacks: those from before the upgrade that added it, or appended while
// it was off. Until it is done a search finds only the messages indexed
// so far. A failure is logged and retried; a stop leaves the rest to the
// next start.
func indexBacklog(ctx context.Context, db *sqlstore.DB, log *slog.Logger) {
	start, total, delay := time.Now(), 0, time.Second
	for {
		n, err := db.IndexBacklog(ctx)
		total += n
		switch {
		case err == nil:
			if total > 0 {
				log.Info("search index backlog done", "messages", total, "took", time.Since(start).Round(time.Millisecond))
			}
			return
		case ctx.Err() != nil:
			return
		}
		log.Warn("search index backlog failed; retrying", "err", err, "indexed", total, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

// live is the fan-out, presence, caches and tickets: Redis in scale-out
// mode, in process otherwise.
type live struct {
	bus      ports.Bus
	presence ports.Presence
	cache    ports.ProfileCache
	limiter  ports.Limiter
	sessions ports.SessionCache
	tickets  ports.TicketStore
	ping     func(context.Context) error
	busReady func() error // the bus receives what it subscribed to
	close    func()
}

func openLive(ctx context.Context, cfg config) (live, error) {
	if cfg.RedisURL == "" {
		return live{
			bus: memory.NewBus(), presence: memory.NewPresence(cfg.PresenceTTL, time.Now), cache: memory.NewCache(),
			limiter:  memory.NewLimiter(nil),
			sessions: memory.NewSessionCache(nil), tickets: memory.NewTickets(nil),
			ping:     func(context.Context) error { return nil },
			busReady: func() error { return nil }, close: func() {},
		}, nil
	}
	c, err := redis.Open(ctx, cfg.RedisURL, cfg.RedisPrefix, cfg.RedisTimeout)
	if err != nil {
		return live{}, fmt.Errorf("connect to Redis: %w", err)
	}
	return live{
		bus: c.Bus(), presence: c.Presence(cfg.PresenceTTL), cache: c.Cache(10 * time.Minute),
		limiter:  c.Limiter(0),
		sessions: c.Sessions(0), tickets: c.Tickets(),
		ping: c.Ping, busReady: c.Bus().Ready, close: c.Close,
	}, nil
}

// openQueues returns a constructor of River queues on the configured
// database (proc nil: insert-only) and a function releasing what it opened.
// Inserts go through the store's database/sql pool, so a job joins its
// row's transaction. SQLite: River shares the store's single-connection
// write pool, so its writes queue behind the stores' instead of failing
// with SQLITE_BUSY. PostgreSQL: River's workers run on a pgx pool of their
// own.
func openQueues(ctx context.Context, cfg config, db *sqlstore.DB, log *slog.Logger, obs ports.JobObserver) (func(jobs.Processor) (*jobs.Queue, error), func(), error) {
	opts := jobs.Options{Workers: cfg.Workers, Observer: obs}
	sqlDB, err := db.SQLDB()
	if err != nil {
		return nil, nil, err
	}
	if cfg.embedded() {
		return func(p jobs.Processor) (*jobs.Queue, error) {
			return jobs.NewSQLite(ctx, sqlDB, p, log, opts)
		}, func() {}, nil
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("job queue: %w", err)
	}
	return func(p jobs.Processor) (*jobs.Queue, error) {
		return jobs.NewPostgres(ctx, pool, sqlDB, p, log, opts)
	}, pool.Close, nil
}

// openFiles wires file sharing on the insert-only queue inserts (the
// attachment store's row and job in one transaction, avatar uploads) and,
// unless WORKERS=0, a working queue that runs every job: files' with files
// as processor, messages' (scheduled sends, purges) with the application's.
func openFiles(cfg config, db *sqlstore.DB, app *application.App, newQueue func(jobs.Processor) (*jobs.Queue, error), inserts *jobs.Queue, bl blobs, lv live, log *slog.Logger) (*application.Files, *jobs.Queue, error) {
	files := application.NewFiles(application.FilesDeps{
		Rooms: app.Rooms, Users: db.Users(), Cache: lv.cache, Attachments: db.Attachments(inserts),
		Blobs: bl.store, Images: images.New(), Jobs: inserts, Bus: lv.bus, Reads: db.Reads(), DetectType: http.DetectContentType,
		Logger: log, MaxUpload: cfg.MaxUploadBytes,
		Limiter: lv.limiter, Limits: cfg.Limits,
		Linker: bl.linker, LinkTTL: cfg.LinkTTL,
	})
	if cfg.Workers == 0 {
		return files, nil, nil
	}
	workers, err := newQueue(processor{files, app.Jobs, app.PushJobs})
	if err != nil {
		return nil, nil, err
	}
	return files, workers, nil
}

// processor is what the job workers call: files, messages and pushes.
type processor struct {
	*application.Files
	application.MessageJobs
	application.PushJobs
}

func serve(ctx context.Context, cfg config, stdout io.Writer, api bool) error {
	log := newLogger(cfg, stdout)
	if cfg.embedded() {
		if err := ensureSecret(&cfg); err != nil {
			return err
		}
		if err := ensureVAPID(&cfg); err != nil {
			return err
		}
	}
	obs, metricsHandler := newObserver(cfg)
	db, err := openStore(ctx, cfg, true, sqlstore.WithObserver(obs))
	if err != nil {
		return err
	}
	defer db.Close()
	lv, err := openLive(ctx, cfg)
	if err != nil {
		return err
	}
	defer lv.close()
	if b, ok := lv.bus.(*redis.Bus); ok {
		b.Observe(obs)
	}

	tokens, err := auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL, nil)
	if err != nil {
		return err
	}
	bl, err := openBlobs(ctx, cfg, log)
	if err != nil {
		return err
	}
	// Everything subscribes through the relay, which repairs what the bus
	// lost from the store; publishing goes straight to the bus.
	relay := application.NewRelay(lv.bus, db.Messages(), log, application.RelayOptions{
		Interval: cfg.CatchupInterval, Timeout: cfg.StoreTimeout,
	})
	// Stores that commit jobs with their rows insert them with an
	// insert-only queue; the workers get their own below.
	newQueue, closeQueues, err := openQueues(ctx, cfg, db, log, obs)
	if err != nil {
		return err
	}
	defer closeQueues()
	inserts, err := newQueue(nil)
	if err != nil {
		return err
	}
	pushes, err := pushDeps(cfg, db.Push(), db.Mutes(), inserts)
	if err != nil {
		return err
	}
	if pushes.Pusher == nil {
		log.Info("push notifications off: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to turn them on")
	}
	app, err := application.New(application.Deps{
		Users: db.Users(), Accounts: db.Users(), Roles: db.Users(), Rooms: db.Rooms(), Members: db.Members(),
		Messages: db.MessagesWithJobs(inserts), Scheduled: db.Scheduled(inserts),
		Reads: db.Reads(), Invites: db.Invites(), Bus: relay, Presence: lv.presence, Cache: lv.cache,
		Tokens: tokens, Passwords: &auth.Passwords{Params: auth.DefaultParams},
		Sessions: db.Sessions(), SessionCache: lv.sessions, Tickets: lv.tickets, Blobs: bl.store,
		Search: searchStore(cfg, db), Logger: log, Limiter: lv.limiter, Limits: cfg.Limits,
		Push: pushes,
	})
	if err != nil {
		return fmt.Errorf("start the application: %w", err)
	}

	files, workers, err := openFiles(cfg, db, app, newQueue, inserts, bl, lv, log)
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	if cfg.SearchIndex {
		g.Go(func() error {
			indexBacklog(gctx, db, log)
			return nil
		})
	}
	if cfg.PprofAddr != "" {
		if err := startPprof(gctx, g, cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	if metricsHandler != nil {
		if err := startMetrics(gctx, g, cfg.MetricsAddr, metricsHandler, log); err != nil {
			return err
		}
		g.Go(func() error { return inserts.WatchDepth(gctx, queueDepthInterval, obs, log) })
	}
	if workers != nil {
		// Running jobs get the shutdown grace to finish; River retries the
		// rest on the next start.
		g.Go(func() error { return workers.Run(gctx, cfg.ShutdownGrace) })
	}
	if !api {
		log.Info("chatd worker started", "mode", cfg.mode(), "workers", cfg.Workers)
		<-gctx.Done()
		return g.Wait()
	}

	instance := instanceID()
	// The job dashboard (River UI) for administrators, over the queue's
	// database in either mode; its caches stop with the server.
	dashboard, err := inserts.Dashboard(log, "/admin/jobs")
	if err != nil {
		return err
	}
	if err := dashboard.Start(gctx); err != nil {
		return err
	}
	// One signer of links for REST bodies and event frames alike.
	links := wire.NewLinks(blob.NewSigner(cfg.JWTSecret), 0, nil)
	hub := ws.NewHub(relay, log, ws.HubOptions{Frames: wire.NewFrames(links), Observer: obs})
	g.Go(func() error { return relay.Run(gctx) })
	gateway := ws.NewGateway(ws.GatewayConfig{
		Users: app.Users, Rooms: app.Rooms, Messages: app.Messages, Sessions: app.Sessions, Hub: hub, Logger: log,
		InstanceID: instance, AllowedOrigins: cfg.AllowedOrigins,
		// Three refreshes per lifetime: one lost refresh never drops a live user.
		HeartbeatInterval: cfg.PresenceTTL / 3,
		Observer:          obs,
	})
	srv := httpapi.New(httpapi.Config{
		Users: app.Users, Rooms: app.Rooms, Messages: app.Messages, Sessions: app.Sessions,
		WebSocket: gateway, Stream: http.HandlerFunc(gateway.ServeStream), Invites: app.Invites, Logger: log, OpenAPI: docs.OpenAPI, Static: web.HandlerWith(web.Config{AllowedOrigins: cfg.AllowedOrigins, ImageOrigins: bl.imageOrigins}),
		Files: files, Links: links, Push: app.Push, Admin: app.Admin, Jobs: dashboard,
		TrustedProxies: cfg.TrustedProxies, BodyTimeout: cfg.BodyTimeout, UploadTimeout: cfg.UploadTimeout,
		Observer: obs,
		Ready: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, readyTimeout)
			defer cancel()
			if err := db.Ping(ctx); err != nil {
				return domain.Wrap(domain.Unavailable, "not_ready", "the database does not answer", err)
			}
			if err := lv.ping(ctx); err != nil {
				return domain.Wrap(domain.Unavailable, "not_ready", "Redis does not answer", err)
			}
			if err := lv.busReady(); err != nil {
				return domain.Wrap(domain.Unavailable, "not_ready", "the event bus is resubscribing", err)
			}
			return nil
		},
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	ln = httpapi.LimitConns(ln, cfg.MaxConnsPerAddr, cfg.TrustedProxies, log)
	// No ReadTimeout: bodies get per-route deadlines instead
	// (httpapi.Config.BodyTimeout, UploadTimeout), short for JSON and long
	// for uploads on slow links. No WriteTimeout: downloads and sockets
	// bound their own writes. Hijacked WebSockets lose the server's
	// deadlines (net/http clears them), which TestServeTimeouts checks.
	// net/http's own error answers (431, 400, 501) become problem+json.
	ln = httpapi.ProblemListener(ln)
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return gctx },
	}
	spare := trackSpareConns(httpSrv)
	log.Info("chatd serving", "url", "http://"+displayAddr(ln.Addr()), "mode", cfg.mode(), "data_dir", dataDirOrNone(cfg), "instance", instance)

	g.Go(func() error { return gateway.Run(gctx) })
	g.Go(func() error {
		if err := httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		// Stop accepting, tell sockets to reconnect elsewhere (1001), and
		// let requests in flight finish within the grace period.
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		defer cancel()
		gerr := gateway.Shutdown(sctx)
		herr := spare.shutdown(sctx, httpSrv)
		log.Info("chatd stopped")
		return errors.Join(gerr, herr)
	})
	return g.Wait()
}

// spareConns tracks the connections that have not sent a request yet. A
// client's spare dial (Go's transport keeps a connection it dialed for a
// request another connection served) holds no request, but net/http's
// Shutdown counts it as busy until it is 5 s old: with a shorter grace
// the shutdown failed with nothing in flight.
type spareConns struct {
	mu    sync.Mutex
	since map[net.Conn]time.Time
}

// spareAge is how long a connection may stay silent during a shutdown
// before it is closed: a client sending a request has sent its headers by
// then.
const spareAge = time.Second

func trackSpareConns(srv *http.Server) *spareConns {
	s := &spareConns{since: make(map[net.Conn]time.Time)}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if st == http.StateNew {
			s.since[c] = time.Now()
		} else {
			delete(s.since, c)
		}
	}
	return s
}

// shutdown runs srv.Shutdown, closing the connections that stay silent
// for spareAge meanwhile.
func (s *spareConns) shutdown(ctx context.Context, srv *http.Server) error {
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			s.closeSilent(time.Now().Add(-spareAge))
		}
	}
}

func (s *spareConns) closeSilent(before time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, t := range s.since {
		if t.Before(before) {
			c.Close()
			delete(s.since, c)
		}
	}
}

// startWait bounds how long chatd waits at start for a PostgreSQL that
// does not answer.
const startWait = 30 * time.Second

// readyTimeout bounds GET /readyz: a dependency that stalls makes it
// answer 503, never hang the probe.
const readyTimeout = 2 * time.Second

func dataDirOrNone(cfg config) string {
	if cfg.embedded() {
		abs, err := filepath.Abs(cfg.DataDir)
		if err == nil {
			return abs
		}
		return cfg.DataDir
	}
	return "(none: PostgreSQL)"
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func instanceID() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%d", h, os.Getpid(), time.Now().UnixNano()%1e6)
}

// startPprof serves net/http/pprof on its own listener, which must be a
// loopback address: profiles must never be reachable from outside.
func startPprof(ctx context.Context, g *errgroup.Group, addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PPROF_ADDR: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("PPROF_ADDR %q must be a loopback address such as 127.0.0.1:6060", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("PPROF_ADDR: %w", err)
	}
	log.Info("pprof listening", "addr", ln.Addr().String())
	serveSide(ctx, g, ln, mux)
	return nil
}

// serveSide serves h on ln, a side listener (pprof, metrics), in g until
// ctx ends.
func serveSide(ctx context.Context, g *errgroup.Group, ln net.Listener, h http.Handler) {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	g.Go(func() error {
		if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		return s.Close()
	})
}
