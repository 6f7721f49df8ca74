package main

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"chat/adapters/httpapi"
	"chat/application"
	"chat/ports"
)

// limitsConfig is the abuse-resistance part of the configuration: rate
// limits, login backoff, the password-hashing bound, HTTP timeouts and the
// per-address connection cap.
type limitsConfig struct {
	Limits            application.Limits
	TrustedProxies    []netip.Prefix
	ReadHeaderTimeout time.Duration
	BodyTimeout       time.Duration
	UploadTimeout     time.Duration
	IdleTimeout       time.Duration
	MaxConnsPerAddr   int // 0: no cap
}

func defaultLimitsConfig() limitsConfig {
	l := application.DefaultLimits()
	l.Hashes = 2 * runtime.GOMAXPROCS(0)
	l.HashQueue = 4 * l.Hashes
	return limitsConfig{
		Limits:            l,
		ReadHeaderTimeout: 10 * time.Second,
		BodyTimeout:       httpapi.DefaultBodyTimeout,
		UploadTimeout:     httpapi.DefaultUploadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxConnsPerAddr:   200,
	}
}

// loadLimits parses the variables of limitsConfig into c, returning every
// mistake.
func loadLimits(getenv func(string) string, c *limitsConfig) []error {
	var errs []error
	for name, r := range map[string]*ports.Rate{
		"RATE_SEND": &c.Limits.Send, "RATE_JOIN": &c.Limits.Join, "RATE_UPLOAD": &c.Limits.Upload,
		"RATE_READ": &c.Limits.Read, "RATE_SEARCH": &c.Limits.Search,
		"RATE_ADMIN":    &c.Limits.Admin,
		"RATE_REGISTER": &c.Limits.Register, "RATE_LOGIN": &c.Limits.Login,
	} {
		if s := strings.TrimSpace(getenv(name)); s != "" {
			v, err := parseRate(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", name, s, err))
			}
			*r = v
		}
	}
	ints := []struct {
		name     string
		min, max int
		dst      *int
	}{
		{"LOGIN_FREE_FAILURES", 0, 1000, &c.Limits.LoginFailures.Free},
		{"LOGIN_USER_FREE_FAILURES", 0, 100000, &c.Limits.LoginUserFailures.Free},
		{"PASSWORD_HASH_CONCURRENCY", 1, 1024, &c.Limits.Hashes},
		{"PASSWORD_HASH_QUEUE", 0, 100000, &c.Limits.HashQueue},
		{"MAX_CONNS_PER_ADDR", 0, 1 << 20, &c.MaxConnsPerAddr},
	}
	hashQueueSet := getenv("PASSWORD_HASH_QUEUE") != ""
	for _, v := range ints {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < v.min || n > v.max {
				errs = append(errs, fmt.Errorf("%s %q must be a whole number from %d to %d", v.name, s, v.min, v.max))
			}
			*v.dst = n
		}
	}
	if !hashQueueSet {
		c.Limits.HashQueue = 4 * c.Limits.Hashes
	}
	durations := []struct {
		name     string
		min, max time.Duration
		dst      *time.Duration
	}{
		{"LOGIN_BACKOFF_MAX", time.Second, 24 * time.Hour, &c.Limits.LoginFailures.Max},
		{"LOGIN_USER_BACKOFF_MAX", time.Second, 24 * time.Hour, &c.Limits.LoginUserFailures.Max},
		{"HTTP_READ_HEADER_TIMEOUT", 100 * time.Millisecond, time.Hour, &c.ReadHeaderTimeout},
		{"HTTP_BODY_TIMEOUT", 100 * time.Millisecond, time.Hour, &c.BodyTimeout},
		{"HTTP_UPLOAD_TIMEOUT", 100 * time.Millisecond, 24 * time.Hour, &c.UploadTimeout},
		{"HTTP_IDLE_TIMEOUT", time.Second, 24 * time.Hour, &c.IdleTimeout},
	}
	for _, v := range durations {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < v.min || d > v.max {
				errs = append(errs, fmt.Errorf("%s %q must be a duration from %v to %v", v.name, s, v.min, v.max))
			}
			*v.dst = d
		}
	}
	if s := getenv("TRUSTED_PROXIES"); strings.TrimSpace(s) != "" {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			p, err := parsePrefix(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or CIDR network", f))
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	return errs
}

// parseRate reads "BURST/PERIOD": "100/10s" allows 100 at once, refilled
// at 100 per 10 seconds; a bare unit means one of it ("60/m" = "60/1m");
// "off" or "0" is no limit.
func parseRate(s string) (ports.Rate, error) {
	if s == "off" || s == "0" {
		return ports.Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return ports.Rate{}, errors.New(`must be BURST/PERIOD such as "100/10s", or "off"`)
	}
	burst, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || burst < 1 {
		return ports.Rate{}, errors.New("the burst must be a positive whole number")
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Millisecond {
		return ports.Rate{}, errors.New(`the period must be a duration such as "10s", "1m" or "h"`)
	}
	return ports.Rate{Burst: burst, Per: d}, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
