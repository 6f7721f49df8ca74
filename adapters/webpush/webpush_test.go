package webpush_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/webpush"
	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/push"
	"chat/test/pushtest"
)

func newPusher(t *testing.T, opts webpush.Options) *webpush.Pusher {
	t.Helper()
	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	p, err := webpush.New(pub, priv, "mailto:ops@example.com", opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func subscription(t *testing.T, s *pushtest.Subscriber) push.Subscription {
	t.Helper()
	sub, err := push.NewSubscription(1, s.Endpoint, s.P256DH, s.Auth, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

var note = push.Notification{RoomID: 4, RoomName: "general", MessageID: 99, Seq: 12, Author: "alice",
	Preview: "hi @bob", Mention: true, SentAt: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}

// TestPushSignedAndEncrypted: the test service checks the VAPID JWT (ES256
// with the public key, aud the endpoint's origin, exp ahead) and decrypts
// the payload with the subscription's keys.
func TestPushSignedAndEncrypted(t *testing.T) {
	p := newPusher(t, webpush.Options{Insecure: true})
	svc := pushtest.New(t, p.PublicKey())
	sub := svc.Subscribe(t)
	if err := p.Push(context.Background(), subscription(t, sub), note, time.Hour); err != nil {
		t.Fatal(err)
	}
	got := svc.Next(t, 5*time.Second)
	var payload wire.PushPayload
	if err := json.Unmarshal(got.Payload, &payload); err != nil {
		t.Fatalf("payload %q: %v", got.Payload, err)
	}
	want := wire.PushPayload{Type: "message", RoomID: 4, RoomName: "general", MessageID: 99, Seq: 12, Author: "alice",
		Preview: "hi @bob", Mention: true, SentAt: "2026-05-06T07:08:09.000000Z"}
	if d := cmp.Diff(want, payload); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	if got.TTL != "3600" {
		t.Errorf("TTL header %q, want 3600", got.TTL)
	}
}

func TestPushOutcomes(t *testing.T) {
	p := newPusher(t, webpush.Options{Insecure: true})
	svc := pushtest.New(t, p.PublicKey())
	sub := subscription(t, svc.Subscribe(t))
	for status, code := range map[int]string{
		http.StatusGone: "subscription_gone", http.StatusNotFound: "subscription_gone",
		http.StatusTooManyRequests: "push_rate_limited", http.StatusBadGateway: "push_unavailable",
		http.StatusRequestEntityTooLarge: "push_refused",
	} {
		svc.Answer(status)
		err := p.Push(context.Background(), sub, note, time.Minute)
		svc.Next(t, 5*time.Second)
		if domain.CodeOf(err) != code {
			t.Errorf("answer %d: %v, want %s", status, err, code)
		}
	}
}

// TestPushRefusesPrivateEndpoints: without Insecure, an endpoint must be
// https and public.
func TestPushRefusesPrivateEndpoints(t *testing.T) {
	p := newPusher(t, webpush.Options{})
	svc := pushtest.New(t, p.PublicKey())
	sub := subscription(t, svc.Subscribe(t))
	if err := p.Push(context.Background(), sub, note, time.Minute); domain.CodeOf(err) != "insecure_endpoint" {
		t.Errorf("http endpoint: %v, want insecure_endpoint", err)
	}
	sub.Endpoint = "https://127.0.0.1:1/push/x"
	if err := p.Push(context.Background(), sub, note, time.Minute); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("loopback endpoint: %v, want Unavailable", err)
	}
	svc.None(t, 100*time.Millisecond)
}

func TestKeys(t *testing.T) {
	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := webpush.GenerateKeys()
	if err := webpush.CheckKeys(pub, priv); err != nil {
		t.Errorf("a generated pair: %v", err)
	}
	if err := webpush.CheckKeys(other, priv); err == nil {
		t.Error("a public key of another pair passed")
	}
	if err := webpush.CheckKeys(pub, "short"); err == nil {
		t.Error("a bad private key passed")
	}
	if _, err := webpush.New(pub, priv, "ops@example.com", webpush.Options{}); err == nil {
		t.Error("a subject without mailto: or https:// passed")
	}
}
