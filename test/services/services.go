package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Required reports whether missing services fail tests instead of skipping.
func Required() bool { return os.Getenv("CHAT_TEST_REQUIRE_SERVICES") == "1" }

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("CHAT_TEST_REQUIRE_SERVICES=1 but %s", msg)
	}
	t.Skip(msg)
}

var (
	containerMu sync.Mutex
	containers  = map[string]string{} // image → base URL, one container per test binary
)

func fromContainer(t testing.TB, image, port string, env map[string]string, scheme func(host, port string) string) string {
	t.Helper()
	containerMu.Lock()
	defer containerMu.Unlock()
	if u, ok := containers[image]; ok {
		return u
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        image,
			ExposedPorts: []string{port + "/tcp"},
			Env:          env,
			WaitingFor:   wait.ForListeningPort(port + "/tcp").WithStartupTimeout(90 * time.Second),
		},
		Started: true,
	})
	if err != nil {
		unavailable(t, "start %s container: %v", image, err)
	}
	host, err := c.Host(ctx)
	if err != nil {
		unavailable(t, "container host: %v", err)
	}
	p, err := c.MappedPort(ctx, port+"/tcp")
	if err != nil {
		unavailable(t, "container port: %v", err)
	}
	u := scheme(host, p.Port())
	containers[image] = u
	return u
}

func baseURL(t testing.TB, env, image, port string, envs map[string]string, scheme func(host, port string) string) string {
	t.Helper()
	if u := os.Getenv(env); u != "" {
		return u
	}
	if testing.Short() {
		unavailable(t, "%s is not set and -short skips containers", env)
	}
	if tt, ok := t.(*testing.T); ok {
		testcontainers.SkipIfProviderIsNotHealthy(tt) // skips in ~1ms without a Docker engine
	} else {
		unavailable(t, "%s is not set (benchmarks do not start containers)", env)
	}
	return fromContainer(t, image, port, envs, scheme)
}

// PostgresBase returns the server URL without creating a database.
func PostgresBase(t testing.TB) string {
	t.Helper()
	if os.Getenv("CHAT_TEST_POSTGRES_URL") == "" && Required() {
		t.Fatal("CHAT_TEST_REQUIRE_SERVICES=1 but CHAT_TEST_POSTGRES_URL is not set")
	}
	return baseURL(t, "CHAT_TEST_POSTGRES_URL", "postgres:15-alpine", "5432",
		map[string]string{"POSTGRES_PASSWORD": "postgres", "POSTGRES_HOST_AUTH_METHOD": "trust"},
		func(h, p string) string {
			return fmt.Sprintf("postgres://postgres@%s:%s/postgres?sslmode=disable", h, p)
		})
}

// Postgres creates a fresh, empty database for this test and returns its
// URL. The database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	base := PostgresBase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "connect to PostgreSQL at %s: %v", redact(base), err)
	}
	defer conn.Close(context.Background())
	name := "chat_test_" + RandomID()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse CHAT_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Redis returns the URL of a Redis server. Tests sharing it isolate their
// keys and channels with Prefix.
func Redis(t testing.TB) string {
	t.Helper()
	if os.Getenv("CHAT_TEST_REDIS_URL") == "" && Required() {
		t.Fatal("CHAT_TEST_REQUIRE_SERVICES=1 but CHAT_TEST_REDIS_URL is not set")
	}
	return baseURL(t, "CHAT_TEST_REDIS_URL", "redis:7-alpine", "6379", nil,
		func(h, p string) string { return fmt.Sprintf("redis://%s:%s/0", h, p) })
}

// Prefix returns a key and channel prefix unique to this test.
func Prefix(t testing.TB) string {
	t.Helper()
	return "t" + RandomID() + ":"
}

// RandomID returns 16 random hex characters.
func RandomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparseable url)"
	}
	if p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.UserPassword(p.User.Username(), "xxx")
		}
	}
	return strings.TrimSpace(p.String())
}
