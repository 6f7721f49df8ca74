package room_test

import (
	"strings"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
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
		{"right-to-left override", room.Spec{Name: "\u202egnp.exe"}, false, ""},
		{"zero-width space", room.Spec{Name: "gen\u200beral"}, false, ""},
		{"isolate", room.Spec{Name: "\u2067general"}, false, ""},
		{"newline in name", room.Spec{Name: "gen\neral"}, false, ""},
		{"only invisible", room.Spec{Name: "\u200b\u3164"}, false, ""},
		{"emoji sequence", room.Spec{Name: "👩\u200d💻 dev"}, true, "👩\u200d💻 dev"},
		{"multi-line description", room.Spec{Name: "a", Description: "line one\n\tline two"}, true, "a"},
		{"bidi in description", room.Spec{Name: "a", Description: "see \u202eexe.txt"}, false, ""},
		{"control in description", room.Spec{Name: "a", Description: "bell\a"}, false, ""},
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

func TestApply(t *testing.T) {
	str := func(s string) *string { return &s }
	yes := true
	base, err := room.New(room.Spec{Name: "general", Description: "talk"}, 7, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    room.Patch
		code string
		want func(r room.Room) room.Room
	}{
		{"nothing", room.Patch{}, "", func(r room.Room) room.Room { return r }},
		{"rename", room.Patch{Name: str(" random ")}, "", func(r room.Room) room.Room { r.Name = "random"; return r }},
		{"describe", room.Patch{Description: str("  about\nthings ")}, "", func(r room.Room) room.Room { r.Description = "about\nthings"; return r }},
		{"clear description", room.Patch{Description: str("")}, "", func(r room.Room) room.Room { r.Description = ""; return r }},
		{"make private", room.Patch{IsPrivate: &yes}, "", func(r room.Room) room.Room { r.IsPrivate = true; return r }},
		{"all", room.Patch{Name: str("x"), Description: str("y"), IsPrivate: &yes}, "", func(r room.Room) room.Room {
			r.Name, r.Description, r.IsPrivate = "x", "y", true
			return r
		}},
		{"empty name", room.Patch{Name: str(" "), IsPrivate: &yes}, "invalid_room_name", nil},
		{"bidi name", room.Patch{Name: str("\u202egnp.exe")}, "invalid_room_name", nil},
		{"bad description keeps the name", room.Patch{Name: str("new"), Description: str("a\u200bb")}, "invalid_room_description", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			err := r.Apply(tt.p)
			if tt.code != "" {
				if domain.KindOf(err) != domain.Invalid || domain.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want Invalid %s", err, tt.code)
				}
				if r != base {
					t.Errorf("a refused patch changed the room: %+v", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(base); r != want {
				t.Errorf("got %+v, want %+v", r, want)
			}
		})
	}
}

func TestHeir(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(u user.ID, d time.Duration) room.Membership {
		return room.Membership{UserID: u, JoinedAt: t0.Add(d)}
	}
	tests := []struct {
		name    string
		members []room.Membership
		owner   user.ID
		heir    user.ID
		ok      bool
	}{
		{"alone", []room.Membership{at(1, 0)}, 1, 0, false},
		{"nobody", nil, 1, 0, false},
		{"longest standing", []room.Membership{at(1, 0), at(4, 3*time.Hour), at(3, time.Hour), at(2, 2*time.Hour)}, 1, 3, true},
		{"the owner joined later than others", []room.Membership{at(5, time.Hour), at(1, 2*time.Hour), at(9, 0)}, 1, 9, true},
		{"ties go to the lowest id", []room.Membership{at(1, 0), at(8, time.Minute), at(6, time.Minute), at(7, time.Minute)}, 1, 6, true},
		{"the owner is not among them", []room.Membership{at(3, time.Hour), at(2, time.Hour)}, 1, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			heir, ok := room.Heir(tt.members, tt.owner)
			if heir != tt.heir || ok != tt.ok {
				t.Errorf("Heir = %d, %v; want %d, %v", heir, ok, tt.heir, tt.ok)
			}
		})
	}
}
