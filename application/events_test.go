package application_test

import (
	"encoding/json"
	"testing"
	"time"

	"chat/application"
	"chat/domain/message"
)

var sample = message.Message{
	ID: 123456, RoomID: 42, Seq: 9876, UserID: 7, Username: "alice",
	Content:   "hello, this is a typical chat message of about sixty bytes",
	ClientID:  "550e8400-e29b-41d4-a716-446655440000",
	CreatedAt: time.Date(2026, 11, 23, 20, 0, 0, 123456000, time.UTC),
}

func TestMessageFrameIsTheWireShape(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(application.MessageFrame(sample), &got); err != nil {
		t.Fatal(err)
	}
	if got["type"] != "message" || got["created_at"] != "2026-11-23T20:00:00.123456Z" || got["client_id"] != sample.ClientID {
		t.Fatalf("frame %v", got)
	}
}

// BenchmarkMessageFrame measures encoding one message event: done once
// per message, whatever the number of recipients.
func BenchmarkMessageFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = application.MessageFrame(sample)
	}
}
