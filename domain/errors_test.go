package domain_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"chat/domain"
)

func TestKindOf(t *testing.T) {
	cause := errors.New("pq: duplicate key")
	tests := []struct {
		name      string
		err       error
		kind      domain.Kind
		code      string
		clientMsg string
	}{
		{"plain", errors.New("boom"), domain.Internal, "internal", "internal error"},
		{"kinded", domain.Errorf(domain.Conflict, "username_taken", "username %q is taken", "bob"), domain.Conflict, "username_taken", `username "bob" is taken`},
		{"wrapped", fmt.Errorf("create: %w", domain.Wrap(domain.Conflict, "", "taken", cause)), domain.Conflict, "conflict", "taken"},
		{"internal hides cause", domain.Wrap(domain.Internal, "", "db", cause), domain.Internal, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v, want %v", got, tt.kind)
			}
			if got := domain.CodeOf(tt.err); got != tt.code {
				t.Errorf("CodeOf = %q, want %q", got, tt.code)
			}
			if got := domain.MessageOf(tt.err); got != tt.clientMsg {
				t.Errorf("MessageOf = %q, want %q", got, tt.clientMsg)
			}
		})
	}
	if !errors.Is(domain.Wrap(domain.Internal, "", "x", cause), cause) {
		t.Error("Wrap must keep the cause in the chain")
	}
}

func TestRetryAfterOf(t *testing.T) {
	err := fmt.Errorf("send: %w", domain.Limited(3*time.Second, "too many messages"))
	if got := domain.RetryAfterOf(err); got != 3*time.Second {
		t.Errorf("RetryAfterOf = %v, want 3s", got)
	}
	if domain.KindOf(err) != domain.TooMany || domain.CodeOf(err) != "rate_limited" {
		t.Errorf("Limited is %v %q, want too_many rate_limited", domain.KindOf(err), domain.CodeOf(err))
	}
	if got := domain.RetryAfterOf(errors.New("plain")); got != 0 {
		t.Errorf("RetryAfterOf(plain) = %v, want 0", got)
	}
}

func TestClientAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	}
	for _, tt := range tests {
		c := domain.NewClientAddr(netip.MustParseAddr(tt.in))
		if got := c.Key(); got != tt.want {
			t.Errorf("Key(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	ctx := context.Background()
	if got := domain.ClientAddrOf(ctx).Key(); got != "unknown" {
		t.Errorf("no address in context: Key = %q, want unknown", got)
	}
	ctx = domain.WithClientAddr(ctx, domain.NewClientAddr(netip.MustParseAddr("192.0.2.1")))
	if got := domain.ClientAddrOf(ctx).Key(); got != "192.0.2.1" {
		t.Errorf("Key from context = %q", got)
	}
}
