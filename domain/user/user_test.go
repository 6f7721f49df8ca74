package user_test

import (
	"strings"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/user"
)

func TestNewUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"Alice", "alice", true},
		{"a.b-c_9", "a.b-c_9", true},
		{"ab", "", false},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), "", false},
		{"al ice", "", false},
		{"ålice", "", false},
		{"alice!", "", false},
	}
	for _, tt := range tests {
		got, err := user.NewUsername(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("NewUsername(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil && domain.KindOf(err) != domain.Invalid {
			t.Errorf("NewUsername(%q) kind = %v", tt.in, domain.KindOf(err))
		}
		if got.String() != tt.want {
			t.Errorf("NewUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"12345678", true},
		{"1234567", false},
		{strings.Repeat("p", 256), true},
		{strings.Repeat("p", 257), false},
		{strings.Repeat("é", 8), true},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", false},
	}
	for _, tt := range tests {
		if err := user.ValidatePassword(tt.in); tt.ok != (err == nil) {
			t.Errorf("ValidatePassword(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestApplyPatch(t *testing.T) {
	name, _ := user.NewUsername("bob")
	u, err := user.New(name, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "bob" {
		t.Fatalf("default display name = %q", u.DisplayName)
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		p    user.Patch
		ok   bool
		dn   string
		bio  string
	}{
		{"both", user.Patch{DisplayName: str(" Bob B "), Bio: str("hi")}, true, "Bob B", "hi"},
		{"blank display resets", user.Patch{DisplayName: str("  ")}, true, "bob", "hi"},
		{"long display", user.Patch{DisplayName: str(strings.Repeat("x", 65))}, false, "bob", "hi"},
		{"long bio", user.Patch{Bio: str(strings.Repeat("x", 501))}, false, "bob", "hi"},
		{"nul bio", user.Patch{Bio: str("a\x00")}, false, "bob", "hi"},
		{"bidi bio", user.Patch{Bio: str("see \u202egnp.exe")}, false, "bob", "hi"},
		{"zero-width bio", user.Patch{Bio: str("a\u200bb")}, false, "bob", "hi"},
		{"right-to-left override", user.Patch{DisplayName: str("\u202eecila")}, false, "bob", "hi"},
		{"zero-width space", user.Patch{DisplayName: str("al\u200bice")}, false, "bob", "hi"},
		{"zero-width joiner between letters", user.Patch{DisplayName: str("al\u200dice")}, false, "bob", "hi"},
		{"bidi mark", user.Patch{DisplayName: str("alice\u200f")}, false, "bob", "hi"},
		{"control", user.Patch{DisplayName: str("al\tice")}, false, "bob", "hi"},
		{"invisible filler", user.Patch{DisplayName: str("\u3164")}, false, "bob", "hi"},
		{"emoji sequence", user.Patch{DisplayName: str("Bob 👩\u200d💻")}, true, "Bob 👩\u200d💻", "hi"},
		{"other scripts", user.Patch{DisplayName: str("بوب")}, true, "بوب", "hi"},
		{"multi-line bio", user.Patch{Bio: str("line one\nline\ttwo")}, true, "بوب", "line one\nline\ttwo"},
	}
	for _, tt := range tests {
		err := u.Apply(tt.p)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if u.DisplayName != tt.dn || u.Bio != tt.bio {
			t.Errorf("%s: got (%q, %q), want (%q, %q)", tt.name, u.DisplayName, u.Bio, tt.dn, tt.bio)
		}
	}
	if _, err := user.New(name, "not-an-email", time.Now()); domain.KindOf(err) != domain.Invalid {
		t.Errorf("bad email accepted: %v", err)
	}
}
