package domain_test

import (
	"errors"
	"fmt"
	"testing"

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
