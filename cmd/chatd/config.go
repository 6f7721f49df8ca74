package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is everything chatd reads from the environment, parsed once.
type config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string // empty: embedded SQLite at DataDir/chat.db
	RedisURL       string // empty: in-process fan-out, presence and cache
	RedisPrefix    string // key and channel prefix, so deployments can share a Redis
	JWTSecret      []byte
	TokenTTL       time.Duration
	UploadPath     string
	MaxUploadBytes int64
	Workers        int
	PprofAddr      string
	LogLevel       slog.Level
	AllowedOrigins []string
	ShutdownGrace  time.Duration
	PresenceTTL    time.Duration // a crashed instance's users go offline within this
	// CatchupInterval: how often each instance compares the rooms it serves
	// with the store, delivering messages the bus never carried.
	CatchupInterval time.Duration
	StoreTimeout    time.Duration // bound on every database call
	RedisTimeout    time.Duration // bound on every Redis call
	// SearchIndex: appends write the search index and GET /search reads
	// it; off (SEARCH_INDEX=off) measures sends without it and turns
	// search off (503 search_off).
	SearchIndex   bool
	limitsConfig  // rate limits, backoff, hashing bound, timeouts, connection cap (limits.go)
	blobConfig    // BLOB_URL: files in an S3 bucket instead of UPLOAD_PATH (blob.go)
	metricsConfig // METRICS_ADDR (metrics.go)
	pushConfig    // VAPID keys, PUSH_TTL (push.go)
}

func (c config) embedded() bool { return c.DatabaseURL == "" }

func (c config) mode() string {
	if c.embedded() {
		return "embedded"
	}
	return "scale-out"
}

// loadConfig parses the environment. It never touches the file system; the
// embedded JWT secret is loaded or created by ensureSecret.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Addr:           or(getenv("ADDR"), ":8000"),
		DataDir:        or(getenv("DATA_DIR"), "./data"),
		DatabaseURL:    strings.TrimSpace(getenv("DATABASE_URL")),
		RedisURL:       strings.TrimSpace(getenv("REDIS_URL")),
		PprofAddr:      getenv("PPROF_ADDR"),
		RedisPrefix:    or(getenv("REDIS_PREFIX"), "chat:"),
		MaxUploadBytes: 25 << 20,
		Workers:        1,
		TokenTTL:       24 * time.Hour,
		ShutdownGrace:  10 * time.Second,
		PresenceTTL:    30 * time.Second,
		SearchIndex:    true,
		limitsConfig:   defaultLimitsConfig(),
	}
	c.UploadPath = or(getenv("UPLOAD_PATH"), filepath.Join(c.DataDir, "uploads"))
	var errs []error
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("DATABASE_URL must be a postgres:// URL"))
		}
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, errors.New("REDIS_URL must be a redis:// or rediss:// URL"))
		}
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("REDIS_URL is set without DATABASE_URL: the embedded SQLite database cannot be shared by several instances; set DATABASE_URL to a PostgreSQL server, or unset REDIS_URL to run one embedded instance"))
		}
	}
	if s := getenv("JWT_SECRET"); s != "" {
		if len(s) < 32 {
			errs = append(errs, errors.New("JWT_SECRET must be at least 32 characters"))
		}
		c.JWTSecret = []byte(s)
	} else if c.DatabaseURL != "" {
		errs = append(errs, errors.New("JWT_SECRET is required when DATABASE_URL is set (every instance must share it); generate one with: openssl rand -hex 32"))
	}
	if s := getenv("ACCESS_TOKEN_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("ACCESS_TOKEN_TTL %q must be a duration of at least 1m, such as 24h", s))
		}
		c.TokenTTL = d
	}
	if s := getenv("MAX_UPLOAD_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("MAX_UPLOAD_BYTES %q must be a positive number of bytes", s))
		}
		c.MaxUploadBytes = n
	}
	if s := getenv("WORKERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000 {
			errs = append(errs, fmt.Errorf("WORKERS %q must be 0 (no job workers) to 1000", s))
		}
		c.Workers = n
	}
	if s := getenv("LOG_LEVEL"); s != "" {
		if err := c.LogLevel.UnmarshalText([]byte(s)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL %q must be debug, info, warn or error", s))
		}
	}
	if s := getenv("ALLOWED_ORIGINS"); s != "" {
		for _, o := range strings.Split(s, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
	}
	if s := getenv("SHUTDOWN_GRACE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_GRACE %q must be a duration", s))
		}
		c.ShutdownGrace = d
	}
	switch s := strings.TrimSpace(getenv("SEARCH_INDEX")); s {
	case "", "on":
	case "off":
		c.SearchIndex = false
	default:
		errs = append(errs, fmt.Errorf("SEARCH_INDEX %q must be on or off", s))
	}
	if s := getenv("PRESENCE_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > 10*time.Minute {
			errs = append(errs, fmt.Errorf("PRESENCE_TTL %q must be a duration from 1s to 10m", s))
		}
		c.PresenceTTL = d
	}
	durations := []struct {
		name     string
		dst      *time.Duration
		def      time.Duration
		min, max time.Duration
	}{
		{"CATCHUP_INTERVAL", &c.CatchupInterval, time.Second, 100 * time.Millisecond, time.Minute},
		{"STORE_TIMEOUT", &c.StoreTimeout, 5 * time.Second, 100 * time.Millisecond, 5 * time.Minute},
		{"REDIS_TIMEOUT", &c.RedisTimeout, time.Second, 50 * time.Millisecond, time.Minute},
	}
	for _, d := range durations {
		*d.dst = d.def
		s := getenv(d.name)
		if s == "" {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil || v < d.min || v > d.max {
			errs = append(errs, fmt.Errorf("%s %q must be a duration from %s to %s", d.name, s, d.min, d.max))
			continue
		}
		*d.dst = v
	}
	errs = append(errs, loadLimits(getenv, &c.limitsConfig)...)
	errs = append(errs, loadBlob(getenv, &c.blobConfig)...)
	errs = append(errs, loadMetrics(getenv, &c)...)
	errs = append(errs, loadPush(getenv, &c)...)
	return c, errors.Join(errs...)
}

func or(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}

// ensureSecret loads the embedded mode's JWT secret from DataDir, creating
// it (mode 0600) on first start so tokens survive restarts.
func ensureSecret(c *config) error {
	if len(c.JWTSecret) > 0 {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	p := filepath.Join(c.DataDir, "jwt_secret")
	b, err := os.ReadFile(p)
	if err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			c.JWTSecret = []byte(s)
			return nil
		}
		return fmt.Errorf("%s is shorter than 32 characters; delete it to generate a new one", p)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read JWT secret: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	s := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create JWT secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write JWT secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write JWT secret: %w", err)
	}
	c.JWTSecret = []byte(s)
	return nil
}
