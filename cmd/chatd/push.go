package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"chat/adapters/webpush"
	"chat/application"
	"chat/ports"
)

// pushConfig is Web Push: the VAPID key pair and subject, how long a push
// stays worth sending, and whether test endpoints are allowed.
type pushConfig struct {
	VAPIDPublic, VAPIDPrivate string // both or neither; embedded mode generates them
	VAPIDSubject              string
	PushTTL                   time.Duration
	PushInsecure              bool
}

func loadPush(getenv func(string) string, c *config) []error {
	var errs []error
	c.VAPIDPublic = strings.TrimSpace(getenv("VAPID_PUBLIC_KEY"))
	c.VAPIDPrivate = strings.TrimSpace(getenv("VAPID_PRIVATE_KEY"))
	c.VAPIDSubject = or(getenv("VAPID_SUBJECT"), "mailto:postmaster@localhost")
	switch {
	case (c.VAPIDPublic == "") != (c.VAPIDPrivate == ""):
		errs = append(errs, errors.New("VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together: set both (a pair from `chatd vapid`, or any Web Push key generator) or neither"))
	case c.VAPIDPublic != "":
		if err := webpush.CheckKeys(c.VAPIDPublic, c.VAPIDPrivate); err != nil {
			errs = append(errs, fmt.Errorf("VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY: %v", err)) // says what is wrong, never the key
		}
	}
	if !strings.HasPrefix(c.VAPIDSubject, "mailto:") && !strings.HasPrefix(c.VAPIDSubject, "https://") {
		errs = append(errs, fmt.Errorf("VAPID_SUBJECT %q must be a mailto: address or an https:// URL where push services can reach you", c.VAPIDSubject))
	}
	c.PushTTL = application.DefaultPushTTL
	if s := getenv("PUSH_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			errs = append(errs, fmt.Errorf("PUSH_TTL %q must be a duration from 1m to 168h", s))
		}
		c.PushTTL = d
	}
	switch getenv("PUSH_INSECURE") {
	case "", "0", "false":
	case "1", "true":
		c.PushInsecure = true
	default:
		errs = append(errs, errors.New("PUSH_INSECURE must be 1 or 0"))
	}
	return errs
}

// ensureVAPID loads the embedded mode's VAPID key pair from DataDir,
// making it (mode 0600) on first start, as ensureSecret does the JWT
// secret: subscriptions are bound to the key, so it must survive restarts.
func ensureVAPID(c *config) error {
	if c.VAPIDPublic != "" {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	p := filepath.Join(c.DataDir, "vapid_keys")
	b, err := os.ReadFile(p)
	if err == nil {
		pub, priv, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		pub, priv = strings.TrimSpace(pub), strings.TrimSpace(priv)
		if err := webpush.CheckKeys(pub, priv); err != nil {
			return fmt.Errorf("%s: %v; delete it to generate a new pair (browsers then subscribe again)", p, err)
		}
		c.VAPIDPublic, c.VAPIDPrivate = pub, priv
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read VAPID keys: %w", err)
	}
	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create VAPID keys: %w", err)
	}
	if _, err := f.WriteString(pub + "\n" + priv + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write VAPID keys: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write VAPID keys: %w", err)
	}
	c.VAPIDPublic, c.VAPIDPrivate = pub, priv
	return nil
}

// pushDeps wires Web Push on subs, mutes and jobs; without a key pair
// (scale-out without the VAPID variables) push is off.
func pushDeps(cfg config, subs ports.PushStore, mutes ports.MuteStore, jobs ports.JobQueue) (application.PushDeps, error) {
	d := application.PushDeps{Subscriptions: subs, Mutes: mutes, Jobs: jobs, TTL: cfg.PushTTL, Insecure: cfg.PushInsecure}
	if cfg.VAPIDPublic == "" {
		return d, nil
	}
	p, err := webpush.New(cfg.VAPIDPublic, cfg.VAPIDPrivate, cfg.VAPIDSubject, webpush.Options{Insecure: cfg.PushInsecure})
	if err != nil {
		return d, fmt.Errorf("web push: %w", err)
	}
	d.Pusher = p
	return d, nil
}

// printVAPID prints a new VAPID key pair as the variables scale-out reads.
func printVAPID(stdout io.Writer) error {
	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "VAPID_PUBLIC_KEY=%s\nVAPID_PRIVATE_KEY=%s\n", pub, priv)
	return err
}
