package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStamp(t *testing.T) {
	sent := appendSendFrame(nil, 0, 3, 1763930000123456789, 42, 7)
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
		{"our stream frame", string(appendSendFrame(nil, 77, 3, 1763930000123456789, 42, 7)),
			stamp{3, 1763930000123456789, 42, []byte("b:3:1763930000123456789:42:7")}, true},
		{"stream ready", `{"type":"ready","rooms":[{"room_id":2,"last_seq":9,"last_read_seq":3,"unread_count":6}]}`, stamp{}, false},
		{"stream presence", `{"type":"presence","user_id":4,"username":"u","online":true}`, stamp{}, false},
		{"stream read", `{"type":"read","room_id":2,"last_read_seq":9,"unread_count":0}`, stamp{}, false},
		{"stream read receipt", `{"type":"read_receipt","room_id":2,"user_id":4,"seq":9}`, stamp{}, false},
		{"stream room_added", `{"type":"room_added","room_id":2,"room":{"id":2,"name":"\"type\":\"message\"","client_id":"b:0:99:5:1"}}`, stamp{}, false},
		{"message type not first", `{"room_id":2,"type":"message","client_id":"b:0:99:5:1"}`, stamp{}, false},
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

func TestAppendSendFrame(t *testing.T) {
	tests := []struct {
		name   string
		roomID int64
		want   string
	}{
		{"room socket: no room_id, as before streams", 0, `{"type":"message","content":"chatbench load message","client_id":"b:3:99:42:7"}`},
		{"user stream: names its room", 77, `{"type":"message","room_id":77,"content":"chatbench load message","client_id":"b:3:99:42:7"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendSendFrame(nil, tt.roomID, 3, 99, 42, 7))
			if got != tt.want {
				t.Fatalf("frame = %s, want %s", got, tt.want)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
		})
	}
}
