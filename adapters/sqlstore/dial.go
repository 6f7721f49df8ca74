package sqlstore

import (
	"context"
	"database/sql"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// DefaultTimeout bounds each wait for PostgreSQL when Open is given none.
const DefaultTimeout = 5 * time.Second

// openPostgres opens a database/sql pool over pgx whose connections cannot
// hang: dialing is bounded by timeout, TCP keepalive is short, and every
// read or write on a connection must make progress within timeout (see
// stallConn). A PostgreSQL that stops answering — packets dropped, no
// reset — makes each call fail with Unavailable within timeout instead of
// holding its request for good.
func openPostgres(dsn string, timeout time.Duration) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 || cfg.ConnectTimeout > timeout {
		cfg.ConnectTimeout = timeout
	}
	// chatd's statements are short and many at once: a parallel plan's
	// workers take longer to start than the statement takes to run (a
	// search's walk over 2,000 rows: 37 ms with two workers, 6 ms
	// without on the 1M corpus), and take cores from the other requests.
	// A URL that sets it keeps its own.
	if _, set := cfg.RuntimeParams["max_parallel_workers_per_gather"]; !set {
		cfg.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	}
	d := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 5 * time.Second, Interval: time.Second, Count: 3,
	}}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: c, timeout: timeout}, nil
	}
	return stdlib.OpenDB(*cfg), nil
}

// stallConn gives every read and write a deadline of timeout from its
// start. pgx reads only while it waits for an answer, never on an idle
// connection, so this bounds each wait for the server, not a connection's
// life in the pool. A deadline that passes breaks the connection: pgx
// reports it and database/sql discards it.
type stallConn struct {
	net.Conn
	timeout time.Duration
}

func (c *stallConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *stallConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
