package room_test

import (
	"strings"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/room"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		spec room.Spec
		ok   bool
		want string
	}{
		{"ok", room.Spec{Name: " general "}, true, "general"},
		{"max", room.Spec{Name: strings.Repeat("ü", 80)}, true, strings.Repeat("ü", 80)},
		{"empty", room.Spec{Name: "  "}, false, ""},
		{"long", room.Spec{Name: strings.Repeat("a", 81)}, false, ""},
		{"nul", room.Spec{Name: "a\x00"}, false, ""},
		{"long description", room.Spec{Name: "a", Description: strings.Repeat("d", 1001)}, false, ""},
	}
	for _, tt := range tests {
		r, err := room.New(tt.spec, 7, time.Now())
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err != nil {
			if domain.KindOf(err) != domain.Invalid {
				t.Errorf("%s: kind %v", tt.name, domain.KindOf(err))
			}
			continue
		}
		if r.Name != tt.want || r.OwnerID != 7 || r.CreatedAt.Location() != time.UTC {
			t.Errorf("%s: got %+v", tt.name, r)
		}
	}
}
