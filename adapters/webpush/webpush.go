package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/push"
	"chat/ports"
)

var _ ports.Pusher = (*Pusher)(nil)

// Options tune a Pusher.
type Options struct {
	// Insecure accepts plain-http endpoints and private addresses: a test
	// push service on the loopback. Never in production.
	Insecure bool
	// Timeout bounds one push request (default 10 s).
	Timeout time.Duration
}

// Pusher sends pushes signed with one VAPID key pair.
type Pusher struct {
	public, private, subject string
	client                   *http.Client
	insecure                 bool
}

// GenerateKeys makes a VAPID key pair: the public key (an uncompressed
// P-256 point) and the private key (its 32-byte scalar), base64url.
func GenerateKeys() (public, private string, err error) {
	private, public, err = wp.GenerateVAPIDKeys()
	return public, private, err
}

// CheckKeys reports whether public and private are a VAPID key pair.
func CheckKeys(public, private string) error {
	d, err := decode(private)
	if err != nil || len(d) != 32 {
		return errors.New("the VAPID private key must be 32 bytes, base64url")
	}
	k, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		return errors.New("the VAPID private key is not a P-256 scalar")
	}
	pub, err := decode(public)
	if err != nil || !bytes.Equal(pub, k.PublicKey().Bytes()) {
		return errors.New("the VAPID public key is not the private key's (an uncompressed P-256 point, base64url)")
	}
	return nil
}

func decode(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
}

// New returns a Pusher signing with the key pair (see CheckKeys) on behalf
// of subject, a "mailto:" address or an https URL where the push services
// can reach the operator.
func New(public, private, subject string, opts Options) (*Pusher, error) {
	if err := CheckKeys(public, private); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(subject, "mailto:") && !strings.HasPrefix(subject, "https://") {
		return nil, errors.New("the VAPID subject must be a mailto: address or an https:// URL")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: opts.Timeout}
	if !opts.Insecure {
		dialer.Control = refusePrivate
	}
	client := &http.Client{
		Timeout:   opts.Timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: opts.Timeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute},
		// A push service answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Pusher{public: strings.TrimRight(public, "="), private: private, subject: subject, client: client, insecure: opts.Insecure}, nil
}

// PublicKey is the VAPID public key browsers subscribe with.
func (p *Pusher) PublicKey() string { return p.public }

// refusePrivate refuses connections to addresses a push service never has
// (loopback, private, link-local, unspecified): an endpoint is whatever a
// client sent, and must not reach the server's own network.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() {
		return fmt.Errorf("push endpoint address %s is not public", host)
	}
	return nil
}

// Push sends n to s, kept by the push service at most ttl.
func (p *Pusher) Push(ctx context.Context, s push.Subscription, n push.Notification, ttl time.Duration) error {
	if !s.Secure() && !p.insecure {
		return domain.Errorf(domain.Invalid, "insecure_endpoint", "push endpoint is not https")
	}
	resp, err := wp.SendNotificationWithContext(ctx, wire.PushOf(n), &wp.Subscription{
		Endpoint: s.Endpoint,
		Keys: wp.Keys{
			P256dh: base64.RawURLEncoding.EncodeToString(s.P256DH),
			Auth:   base64.RawURLEncoding.EncodeToString(s.Auth),
		},
	}, &wp.Options{
		HTTPClient:      p.client,
		Subscriber:      p.subject,
		VAPIDPublicKey:  p.public,
		VAPIDPrivateKey: p.private,
		TTL:             max(int(ttl.Seconds()), 0),
		Urgency:         wp.UrgencyHigh,
		// Pushes of one room replace each other while undelivered: a
		// phone that comes back online shows the room's latest.
		Topic: fmt.Sprintf("room-%d", n.RoomID),
	})
	if err != nil {
		// The request never got an answer (the URL carries the endpoint's
		// secret path: say only what failed).
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			err = uerr.Unwrap()
		}
		return domain.Wrap(domain.Unavailable, "push_unreachable", "push service unreachable", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return outcome(resp.StatusCode)
}

// outcome is what a push service's status means (RFC 8030 section 5,
// and what the services answer in practice).
func outcome(status int) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound || status == http.StatusGone:
		return domain.Errorf(domain.NotFound, "subscription_gone", "the push service no longer knows the subscription (%d)", status)
	case status == http.StatusTooManyRequests:
		return domain.Errorf(domain.TooMany, "push_rate_limited", "the push service asks to slow down (%d)", status)
	case status >= 500 || status == http.StatusRequestTimeout:
		return domain.Errorf(domain.Unavailable, "push_unavailable", "the push service failed (%d)", status)
	default:
		return domain.Errorf(domain.Invalid, "push_refused", "the push service refused the push (%d)", status)
	}
}
