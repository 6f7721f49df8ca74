package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStamp(t *testing.T) {
	sent := appendSendFrame(nil, 3, 1763930000123456789, 42, 7)
	tests := []struct {
		name  string
		frame string
		want  stamp
		ok    bool
	}{
		{"our frame", string(sent), stamp{3, 1763930000123456789, 42, []byte("b:3:1763930000123456789:42:7")}, true},
		{"server event", `{"type":"message","id":1,"room_id":2,"seq":3,"user_id":4,"username":"u","content":"x","created_at":"2026-01-01T00:00:00Z","client_id":"b:0:99:5:1"}`,
			stamp{0, 99, 5, []byte("b:0:99:5:1")}, true},
		{"no client_id", `{"type":"message","id":1,"content":"x"}`, stamp{}, false},
		{"foreign client_id", `{"type":"message","client_id":"3f2a-uuid"}`, stamp{}, false},
		{"malformed", `{"type":"message","client_id":"b:1:x:2:3"}`, stamp{}, false},
		{"presence", `{"type":"user_joined","room_id":2,"user_id":4,"username":"u"}`, stamp{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStamp([]byte(tt.frame))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(stamp{})); diff != "" {
				t.Errorf("parseStamp (-want +got):\n%s", diff)
			}
		})
	}
}
