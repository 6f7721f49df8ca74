package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/user"
)

// fakeSessions records what the handlers parsed.
type fakeSessions struct {
	err     error
	calls   []string
	claims  user.Claims
	actor   user.ID
	current string
	next    string
}

func (f *fakeSessions) record(name string) error {
	f.calls = append(f.calls, name)
	return f.err
}

func (f *fakeSessions) Logout(_ context.Context, c user.Claims) error {
	f.claims = c
	return f.record("Logout")
}

func (f *fakeSessions) LogoutAll(_ context.Context, actor user.ID) error {
	f.actor = actor
	return f.record("LogoutAll")
}

func (f *fakeSessions) ChangePassword(_ context.Context, c user.Claims, current, next string) error {
	f.claims, f.current, f.next = c, current, next
	return f.record("ChangePassword")
}

func (f *fakeSessions) DeleteAccount(_ context.Context, actor user.ID, password string) error {
	f.actor, f.current = actor, password
	return f.record("DeleteAccount")
}

func (f *fakeSessions) IssueTicket(_ context.Context, c user.Claims) (user.Ticket, error) {
	f.claims = c
	return user.Ticket{Value: "T1CK3T", ExpiresIn: 30 * time.Second}, f.record("IssueTicket")
}

func (f *fakeSessions) RedeemTicket(context.Context, string) (user.Claims, error) {
	return user.Claims{}, f.record("RedeemTicket")
}

func (f *fakeSessions) Check(context.Context, user.Claims) error { return f.record("Check") }

func sessionsFixture(t *testing.T) (*fixture, *fakeSessions) {
	ss := &fakeSessions{}
	return newFixture(t, func(c *Config) { c.Sessions = ss }), ss
}

var aliceClaims = user.Claims{UserID: aliceID, SessionID: aliceSession, ExpiresAt: created.Add(time.Hour)}

func TestSessionRoutes(t *testing.T) {
	for _, tc := range []struct {
		rq       request
		status   int
		call     string
		want     fakeSessions // the fields the handler must have passed
		wantBody string
	}{
		{request{method: "POST", path: "/auth/logout"}, 204, "Logout", fakeSessions{claims: aliceClaims}, ""},
		{request{method: "POST", path: "/auth/logout-all"}, 204, "LogoutAll", fakeSessions{actor: aliceID}, ""},
		{request{method: "PUT", path: "/users/me/password", body: `{"current_password":"old one","new_password":"new one"}`},
			204, "ChangePassword", fakeSessions{claims: aliceClaims, current: "old one", next: "new one"}, ""},
		{request{method: "DELETE", path: "/users/me", body: `{"password":"mine"}`}, 204, "DeleteAccount", fakeSessions{actor: aliceID, current: "mine"}, ""},
		{request{method: "POST", path: "/ws/tickets"}, 201, "IssueTicket", fakeSessions{claims: aliceClaims}, `{"ticket":"T1CK3T","expires_in":30}` + "\n"},
	} {
		t.Run(tc.rq.method+" "+tc.rq.path, func(t *testing.T) {
			f, ss := sessionsFixture(t)
			tc.rq.auth = true
			w := f.do(t, tc.rq)
			if w.Code != tc.status || w.Body.String() != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body, tc.status, tc.wantBody)
			}
			tc.want.calls = []string{tc.call}
			if d := cmp.Diff(tc.want, *ss, cmp.AllowUnexported(fakeSessions{})); d != "" {
				t.Errorf("passed (-want +got):\n%s", d)
			}
			if tc.status == 201 && w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("ticket Cache-Control = %q, want no-store", w.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestSessionRouteRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rq     request
		err    error
		status int
		code   string
	}{
		{"wrong password", request{method: "PUT", path: "/users/me/password", body: `{"current_password":"x","new_password":"password2"}`},
			domain.Errorf(domain.Forbidden, "wrong_password", "wrong"), 403, "wrong_password"},
		{"weak password", request{method: "PUT", path: "/users/me/password", body: `{"current_password":"x","new_password":"y"}`},
			domain.Errorf(domain.Invalid, "invalid_password", "too short"), 422, "invalid_password"},
		{"malformed", request{method: "PUT", path: "/users/me/password", body: `{"current_password":1}`}, nil, 400, "malformed_request"},
		{"delete, no body", request{method: "DELETE", path: "/users/me"}, nil, 400, "malformed_request"},
		{"delete, not JSON", request{method: "DELETE", path: "/users/me", body: "password=x", contentType: "application/x-www-form-urlencoded"}, nil, 415, "unsupported_media_type"},
		{"delete, wrong password", request{method: "DELETE", path: "/users/me", body: `{"password":"x"}`},
			domain.Errorf(domain.Forbidden, "wrong_password", "wrong"), 403, "wrong_password"},
		{"store down", request{method: "POST", path: "/auth/logout"}, domain.Errorf(domain.Unavailable, "", "down"), 503, "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ss := sessionsFixture(t)
			ss.err = tc.err
			tc.rq.auth = true
			checkProblem(t, f.do(t, tc.rq), tc.status, tc.code)
		})
	}
}

func TestSessionsUnconfigured(t *testing.T) {
	f := newFixture(t, nil)
	for _, rq := range []request{
		{method: "POST", path: "/auth/logout", auth: true},
		{method: "POST", path: "/ws/tickets", auth: true},
		{method: "DELETE", path: "/users/me", body: `{"password":"x"}`, auth: true},
	} {
		w := f.do(t, rq)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s = %d, want 503", rq.method, rq.path, w.Code)
		}
		checkProblem(t, w, 503, "sessions_unavailable")
	}
}
