package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"chat/test/pushtest"
	"chat/test/services"
)

// TestPush runs real chatd in both modes with a push service in the test
// process that checks each push's VAPID signature and decrypts it with
// the subscription's keys: a mentioned user who is away gets the push, not
// while a socket of theirs is open, not from a room they muted; a 410
// deletes the subscription. In scale-out the mention is sent on instance
// A while the subscription was made on B.
func TestPush(t *testing.T) {
	modes := map[string]func(t *testing.T) cluster{
		"embedded": func(t *testing.T) cluster {
			s := start(t, map[string]string{"DATA_DIR": t.TempDir(), "RATE_REGISTER": "off", "PUSH_INSECURE": "1"})
			return cluster{A: s, B: s}
		},
		"scale-out": func(t *testing.T) cluster {
			env := map[string]string{
				"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
				"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
				"RATE_REGISTER": "off", "PUSH_INSECURE": "1",
				// A pair made by `chatd vapid`.
				"VAPID_PUBLIC_KEY":  e2eVAPIDPublic,
				"VAPID_PRIVATE_KEY": e2eVAPIDPrivate,
				"VAPID_SUBJECT":     "https://chat.example.com/contact",
			}
			return cluster{A: start(t, env), B: start(t, env)}
		},
	}
	for name, boot := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := boot(t)
			alice, bob := newUser(t, c.A, "palice"), newUser(t, c.B, "pbob")
			var key struct {
				PublicKey string `json:"public_key"`
			}
			bob.must(200, "GET", "/push/key", nil, &key)
			svc := pushtest.New(t, key.PublicKey)
			browser := svc.Subscribe(t)
			var sub struct {
				ID       int64  `json:"id"`
				Endpoint string `json:"endpoint"`
			}
			bob.must(201, "POST", "/push/subscriptions", map[string]any{
				"endpoint": browser.Endpoint, "expirationTime": nil,
				"keys": map[string]string{"p256dh": browser.P256DH, "auth": browser.Auth},
			}, &sub)
			if sub.Endpoint != browser.Endpoint {
				t.Fatalf("subscription %+v", sub)
			}
			if r := bob.call("POST", "/push/subscriptions", map[string]any{"endpoint": "not a url", "keys": map[string]string{"p256dh": browser.P256DH, "auth": browser.Auth}}); r.Status != 422 || !strings.Contains(string(r.Body), "invalid_endpoint") {
				t.Errorf("a bad endpoint: %d %s, want 422 invalid_endpoint", r.Status, r.Body)
			}

			room := alice.createRoom("push "+name, false)
			bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
			say := func(text string) {
				t.Helper()
				alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": text}, nil)
			}

			// Away: the push arrives, signed and decryptable.
			say("lunch @" + bob.Name + "?")
			p := svc.Next(t, 20*time.Second)
			var payload struct {
				Type     string `json:"type"`
				RoomID   int64  `json:"room_id"`
				RoomName string `json:"room_name"`
				Author   string `json:"author"`
				Preview  string `json:"preview"`
				Mention  bool   `json:"mention"`
			}
			if err := json.Unmarshal(p.Payload, &payload); err != nil {
				t.Fatalf("payload %q: %v", p.Payload, err)
			}
			if payload.Type != "message" || payload.RoomID != room.ID || payload.RoomName != room.Name || payload.Author != alice.Name ||
				payload.Preview != "lunch @"+bob.Name+"?" || !payload.Mention {
				t.Errorf("payload %+v", payload)
			}

			// Online (a user stream on B): no push.
			stream := bob.stream("")
			stream.next("ready")
			say("now @" + bob.Name)
			stream.next("message")
			svc.None(t, 3*time.Second)
			_ = stream.conn.CloseNow()
			waitOffline(t, alice, room.ID, bob.ID)

			// Muted: no push.
			bob.must(204, "PUT", fmt.Sprintf("/rooms/%d/mute", room.ID), nil, nil)
			var mute struct{ Muted bool }
			bob.must(200, "GET", fmt.Sprintf("/rooms/%d/mute", room.ID), nil, &mute)
			if !mute.Muted {
				t.Error("GET mute after PUT: not muted")
			}
			say("muted @" + bob.Name)
			svc.None(t, 3*time.Second)
			bob.must(204, "DELETE", fmt.Sprintf("/rooms/%d/mute", room.ID), nil, nil)

			// Gone: the service answers 410 and the subscription is deleted.
			svc.Answer(http.StatusGone)
			say("gone @" + bob.Name)
			svc.Next(t, 20*time.Second)
			deadline := time.Now().Add(10 * time.Second)
			for {
				var subs []json.RawMessage
				bob.must(200, "GET", "/push/subscriptions", nil, &subs)
				if len(subs) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("subscription kept after a 410: %s", subs)
				}
				time.Sleep(100 * time.Millisecond)
			}

			if r := do(t, "GET", c.A.URL+"/push/subscriptions", "", "", nil); r.Status != 401 {
				t.Errorf("subscriptions without a token: %d, want 401", r.Status)
			}
			for _, s := range []*server{c.A, c.B} {
				if strings.Contains(s.logs.String(), "lunch") || strings.Contains(s.logs.String(), browser.Auth) {
					t.Errorf("a message body or a subscription key reached the logs")
				}
			}
		})
	}
}

// A VAPID pair for the scale-out instances (made by `chatd vapid`; a test
// key, not a secret).
const (
	e2eVAPIDPublic  = "BGEB92TFgI22N1twpRRvIAQfojFNw5ajvEqs44pTMbH3MHn2KeJXGukKlSTlJv3UBfzQlSYZ2K6lpXPGVXgf97Y"
	e2eVAPIDPrivate = "whlkvWPNLSJiclmQwTMVzJknIJGGbb55ThfMS8kqaBk"
)

// waitOffline waits until the member list shows u offline.
func waitOffline(t *testing.T, c *client, room, u int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var members []struct {
			ID     int64 `json:"id"`
			Online bool  `json:"online"`
		}
		c.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room), nil, &members)
		online := false
		for _, m := range members {
			online = online || m.ID == u && m.Online
		}
		if !online {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the user stayed online after closing the socket")
		}
	}
}
