package application_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/memory"
	"chat/adapters/webpush"
	"chat/adapters/wire"
	"chat/application"
	"chat/domain"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
	"chat/test/pushtest"
)

// pushFixture is the application on memory stores with Web Push on: the
// real webpush adapter sending to a push service in the test process, the
// jobs recorded for the test to run, a clock it moves.
type pushFixture struct {
	*fixture
	clock      *filesClock
	jobs       *memory.JobQueue
	presence   ports.Presence
	pushes     *memory.PushStore
	svc        *pushtest.Service
	alice, bob user.User
	room       room.Room
}

func newPushFixture(t *testing.T) *pushFixture {
	t.Helper()
	st := memory.NewStores()
	d := memoryDeps(t, st)
	clock := &filesClock{now: time.Now().UTC().Truncate(time.Microsecond)}
	d.Clock = clock
	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	pusher, err := webpush.New(pub, priv, "mailto:ops@example.com", webpush.Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	q := &memory.JobQueue{}
	d.Push = application.PushDeps{Subscriptions: st.Push(), Mutes: st.Mutes(), Pusher: pusher, Jobs: q, Insecure: true}
	f := &pushFixture{fixture: &fixture{App: mustNew(t, d), bus: d.Bus, t: t}, clock: clock, jobs: q,
		presence: d.Presence, pushes: st.Push(), svc: pushtest.New(t, pub)}
	f.alice, f.bob = f.register("alice"), f.register("bob")
	f.room = f.fixture.room(f.alice.ID, "general", false)
	if err := f.Rooms.Join(context.Background(), f.bob.ID, f.room.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// subscribe subscribes a new browser of u at the test service.
func (f *pushFixture) subscribe(u user.ID) *pushtest.Subscriber {
	f.t.Helper()
	b := f.svc.Subscribe(f.t)
	s, err := push.NewSubscription(u, b.Endpoint, b.P256DH, b.Auth, time.Time{})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.Push.Subscribe(context.Background(), u, s); err != nil {
		f.t.Fatal(err)
	}
	return b
}

// runJobs runs the queued notify and push jobs (and those they queue) as
// River would, and returns how many push jobs ran.
func (f *pushFixture) runJobs() int {
	f.t.Helper()
	ctx := context.Background()
	pushes := 0
	for jobs := f.jobs.Take(); len(jobs) > 0; jobs = f.jobs.Take() {
		for _, j := range jobs {
			switch j.Kind {
			case ports.JobNotify:
				if err := f.PushJobs.Notify(ctx, j.Room, j.Message); err != nil {
					f.t.Fatalf("notify: %v", err)
				}
			case ports.JobPush:
				pushes++
				if err := f.PushJobs.SendPush(ctx, j.Subscription, j.Room, j.Message); err != nil {
					f.t.Fatalf("push: %v", err)
				}
			}
		}
	}
	return pushes
}

func (f *pushFixture) say(u user.ID, r room.ID, text string) {
	f.t.Helper()
	if _, err := f.Messages.Send(context.Background(), u, r, text, ""); err != nil {
		f.t.Fatal(err)
	}
}

func payloadOf(t *testing.T, p pushtest.Push) wire.PushPayload {
	t.Helper()
	var pl wire.PushPayload
	if err := json.Unmarshal(p.Payload, &pl); err != nil {
		t.Fatalf("payload %q: %v", p.Payload, err)
	}
	return pl
}

func TestPushToMentionedUserAway(t *testing.T) {
	f := newPushFixture(t)
	phone, laptop := f.subscribe(f.bob.ID), f.subscribe(f.bob.ID)
	f.subscribe(f.alice.ID) // the author's own browser hears nothing

	f.say(f.alice.ID, f.room.ID, "lunch?  @bob   see you")
	if n := f.runJobs(); n != 2 {
		t.Fatalf("%d push jobs, want 2 (bob's two browsers)", n)
	}
	got := map[string]wire.PushPayload{}
	for range 2 {
		p := f.svc.Next(t, 5*time.Second)
		got[p.Subscriber.Endpoint] = payloadOf(t, p)
	}
	want := wire.PushPayload{Type: "message", RoomID: int64(f.room.ID), RoomName: "general", Author: "alice",
		Preview: "lunch? @bob see you", Mention: true}
	for _, b := range []*pushtest.Subscriber{phone, laptop} {
		pl, ok := got[b.Endpoint]
		if !ok {
			t.Fatalf("no push to %s", b.Endpoint)
		}
		if pl.MessageID == 0 || pl.Seq == 0 || pl.SentAt == "" {
			t.Errorf("payload %+v lacks the message's id, seq or time", pl)
		}
		pl.MessageID, pl.Seq, pl.SentAt = 0, 0, ""
		if d := cmp.Diff(want, pl); d != "" {
			t.Errorf("payload (-want +got):\n%s", d)
		}
	}
	f.svc.None(t, 50*time.Millisecond)
}

func TestNoPushToUserOnline(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(f.bob.ID)
	ctx := context.Background()
	// Any socket anywhere counts: a user stream is present in Everyone.
	conn := ports.Conn{RoomID: ports.Everyone, UserID: f.bob.ID, ID: "bob-stream"}
	if _, err := f.presence.Connect(ctx, conn); err != nil {
		t.Fatal(err)
	}
	f.say(f.alice.ID, f.room.ID, "@bob are you there")
	if n := f.runJobs(); n != 0 {
		t.Errorf("%d push jobs for a user with a live socket, want 0", n)
	}
	if _, err := f.presence.Disconnect(ctx, conn); err != nil {
		t.Fatal(err)
	}
	f.say(f.alice.ID, f.room.ID, "@bob now?")
	if n := f.runJobs(); n != 1 {
		t.Errorf("%d push jobs once the socket closed, want 1", n)
	}
	f.svc.Next(t, 5*time.Second)
}

func TestNoPushFromMutedRoom(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(f.bob.ID)
	ctx := context.Background()
	if err := f.Push.Mute(ctx, f.bob.ID, f.room.ID, true); err != nil {
		t.Fatal(err)
	}
	if muted, err := f.Push.Muted(ctx, f.bob.ID, f.room.ID); err != nil || !muted {
		t.Fatalf("Muted = %v, %v; want true", muted, err)
	}
	f.say(f.alice.ID, f.room.ID, "@bob muted?")
	if n := f.runJobs(); n != 0 {
		t.Errorf("%d push jobs from a muted room, want 0", n)
	}
	if err := f.Push.Mute(ctx, f.bob.ID, f.room.ID, false); err != nil {
		t.Fatal(err)
	}
	f.say(f.alice.ID, f.room.ID, "@bob unmuted")
	if n := f.runJobs(); n != 1 {
		t.Errorf("%d push jobs after unmuting, want 1", n)
	}
	f.svc.Next(t, 5*time.Second)

	carol := f.register("carol")
	if err := f.Push.Mute(ctx, carol.ID, f.room.ID, true); domain.KindOf(err) != domain.Forbidden {
		t.Errorf("an outsider mutes a public room: %v, want Forbidden", err)
	}
}

func TestPushOfDirectMessages(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(f.bob.ID)
	dm, _, err := f.Rooms.OpenDirect(context.Background(), f.alice.ID, []user.ID{f.bob.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.say(f.alice.ID, dm.ID, "psst")
	if n := f.runJobs(); n != 1 {
		t.Fatalf("%d push jobs for a direct message, want 1", n)
	}
	if pl := payloadOf(t, f.svc.Next(t, 5*time.Second)); !pl.Direct || pl.Mention || pl.Preview != "psst" {
		t.Errorf("payload %+v, want a direct message's", pl)
	}
	// A message in a room with no mention queues nothing at all.
	f.say(f.alice.ID, f.room.ID, "hello everyone")
	if jobs := f.jobs.Take(); len(jobs) != 0 {
		t.Errorf("jobs for a message nobody is pushed for: %+v", jobs)
	}
}

// TestNoSecondNotifyForARetriedSend: a send that finds its client_id
// stored queues no notify job again.
func TestNoSecondNotifyForARetriedSend(t *testing.T) {
	f := newPushFixture(t)
	ctx := context.Background()
	for range 2 {
		if _, err := f.Messages.Send(ctx, f.alice.ID, f.room.ID, "@bob once", "c-1"); err != nil {
			t.Fatal(err)
		}
	}
	if jobs := f.jobs.Take(); len(jobs) != 1 || jobs[0].Kind != ports.JobNotify {
		t.Errorf("jobs %+v, want one notify job", jobs)
	}
}

func TestGoneSubscriptionDeleted(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(f.bob.ID)
	f.svc.Answer(http.StatusGone)
	f.say(f.alice.ID, f.room.ID, "@bob gone?")
	f.runJobs()
	f.svc.Next(t, 5*time.Second)
	if subs, err := f.Push.Subscriptions(context.Background(), f.bob.ID); err != nil || len(subs) != 0 {
		t.Errorf("subscriptions after a 410: %+v, %v; want none", subs, err)
	}
}

func TestPushExpires(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(f.bob.ID)
	f.say(f.alice.ID, f.room.ID, "@bob old news")
	ctx := context.Background()
	notify := f.jobs.Take()
	if err := f.PushJobs.Notify(ctx, notify[0].Room, notify[0].Message); err != nil {
		t.Fatal(err)
	}
	pushJob := f.jobs.Take()[0]
	f.clock.advance(application.DefaultPushTTL + time.Second)
	err := f.PushJobs.SendPush(ctx, pushJob.Subscription, pushJob.Room, pushJob.Message)
	if domain.KindOf(err) != domain.NotFound || domain.CodeOf(err) != "push_expired" {
		t.Errorf("a push retried past its TTL: %v, want NotFound push_expired (the job gives up)", err)
	}
	f.svc.None(t, 50*time.Millisecond)
}

func TestSubscriptions(t *testing.T) {
	f := newPushFixture(t)
	ctx := context.Background()
	for range push.MaxPerUser + 2 {
		f.clock.advance(time.Second)
		f.subscribe(f.bob.ID)
	}
	subs, err := f.Push.Subscriptions(ctx, f.bob.ID)
	if err != nil || len(subs) != push.MaxPerUser {
		t.Fatalf("%d subscriptions, %v; want %d", len(subs), err, push.MaxPerUser)
	}
	if err := f.Push.Unsubscribe(ctx, f.alice.ID, subs[0].ID); domain.CodeOf(err) != "subscription_not_found" {
		t.Errorf("alice unsubscribes bob's: %v, want subscription_not_found", err)
	}
	if err := f.Push.Unsubscribe(ctx, f.bob.ID, subs[0].ID); err != nil {
		t.Fatal(err)
	}
	key, err := f.Push.PublicKey()
	if err != nil || key == "" {
		t.Errorf("PublicKey = %q, %v", key, err)
	}
}

// TestPushOffAndInsecure: without a pusher the routes' use cases answer
// Unavailable and sends queue nothing; with one, plain-http endpoints are
// refused unless allowed.
func TestPushOffAndInsecure(t *testing.T) {
	st := memory.NewStores()
	d := memoryDeps(t, st)
	q := &memory.JobQueue{}
	d.Push = application.PushDeps{Subscriptions: st.Push(), Mutes: st.Mutes(), Jobs: q}
	f := &fixture{App: mustNew(t, d), bus: d.Bus, t: t}
	alice, bob := f.register("alice"), f.register("bob")
	r := f.room(alice.ID, "general", false)
	if err := f.Rooms.Join(context.Background(), bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Push.PublicKey(); domain.CodeOf(err) != "push_unavailable" {
		t.Errorf("PublicKey with push off: %v, want push_unavailable", err)
	}
	if _, err := f.Messages.Send(context.Background(), alice.ID, r.ID, "@bob hi", ""); err != nil {
		t.Fatal(err)
	}
	if jobs := q.Take(); len(jobs) != 0 {
		t.Errorf("jobs with push off: %+v", jobs)
	}
	if err := f.Push.Mute(context.Background(), bob.ID, r.ID, true); err != nil {
		t.Errorf("mute with push off: %v (mutes need no pusher)", err)
	}

	pub, priv, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	pusher, err := webpush.New(pub, priv, "mailto:ops@example.com", webpush.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Push.Pusher = pusher
	app := mustNew(t, d)
	s, err := push.NewSubscription(1, "http://push.example.com/x", pub, "AAAAAAAAAAAAAAAAAAAAAA", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Push.Subscribe(context.Background(), alice.ID, s); domain.CodeOf(err) != "invalid_endpoint" {
		t.Errorf("a plain-http endpoint: %v, want invalid_endpoint", err)
	}
}
