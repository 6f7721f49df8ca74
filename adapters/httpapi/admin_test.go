package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/user"
)

// fakeAdmin admits alice when admin is set; it records the list query.
type fakeAdmin struct {
	Admin // the use cases a test does not call
	admin bool
	gotQ  user.ListQuery
}

func (f *fakeAdmin) Authorize(_ context.Context, actor user.ID) error {
	if !f.admin || actor != aliceID {
		return domain.Errorf(domain.Forbidden, "not_admin", "only an administrator may do this")
	}
	return nil
}

func (f *fakeAdmin) Users(ctx context.Context, actor user.ID, q user.ListQuery) ([]user.User, error) {
	f.gotQ = q
	if err := f.Authorize(ctx, actor); err != nil {
		return nil, err
	}
	return []user.User{alice}, nil
}

func adminFixture(t *testing.T, admin bool) (*fixture, *fakeAdmin, *statusHandler) {
	t.Helper()
	fa, jobs := &fakeAdmin{admin: admin}, &statusHandler{status: http.StatusOK}
	return newFixture(t, func(c *Config) { c.Admin, c.Jobs = fa, jobs }), fa, jobs
}

// The dashboard's cookie: HttpOnly, SameSite=Strict, only for /admin/jobs,
// Secure behind HTTPS, at most 30 minutes and never past the token (the
// fake's has expired: the least, a second); it admits an administrator's
// requests to River UI, and nothing else does.
func TestJobsCookie(t *testing.T) {
	f, _, jobs := adminFixture(t, true)
	w := f.do(t, request{method: "POST", path: "/admin/jobs/session", auth: true})
	if w.Code != http.StatusNoContent {
		t.Fatalf("open = %d %s", w.Code, w.Body)
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].Name != jobsCookie || ck[0].Value != aliceToken || !ck[0].HttpOnly ||
		ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/admin/jobs" || ck[0].Secure || ck[0].MaxAge <= 0 || ck[0].MaxAge > 1800 {
		t.Fatalf("cookie = %+v", ck)
	}
	// A proxy on a private or loopback address terminates TLS (echo trusts its header).
	w = f.do(t, request{method: "POST", path: "/admin/jobs/session", auth: true, header: []string{"X-Forwarded-Proto: https"}, remote: "127.0.0.1:4000"})
	if ck := w.Result().Cookies(); len(ck) != 1 || !ck[0].Secure {
		t.Fatalf("cookie over HTTPS = %+v", ck)
	}

	for _, tc := range []struct {
		name, cookie string
		bearer       bool
		want         int
	}{
		{"the cookie", jobsCookie + "=" + aliceToken, false, http.StatusOK},
		{"a bearer token", "", true, http.StatusOK},
		{"nothing", "", false, http.StatusUnauthorized},
		{"a forged cookie", jobsCookie + "=forged", false, http.StatusUnauthorized},
		{"another cookie", "other=" + aliceToken, false, http.StatusUnauthorized},
	} {
		var hdr []string
		if tc.cookie != "" {
			hdr = []string{"Cookie: " + tc.cookie}
		}
		jobs.status = http.StatusOK
		w := f.do(t, request{method: "GET", path: "/admin/jobs/api/jobs?state=completed", auth: tc.bearer, header: hdr})
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
		if tc.want == http.StatusOK && (w.Header().Get("X-Frame-Options") != "DENY" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")) {
			t.Errorf("%s: headers %v", tc.name, w.Header())
		}
		if tc.want != http.StatusOK && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: refusal is %s", tc.name, w.Header().Get("Content-Type"))
		}
	}

	w = f.do(t, request{method: "DELETE", path: "/admin/jobs/session", auth: true})
	if ck := w.Result().Cookies(); w.Code != http.StatusNoContent || len(ck) != 1 || ck[0].MaxAge >= 0 {
		t.Fatalf("close = %d %+v", w.Code, ck)
	}
}

func TestJobsRefusedToOthers(t *testing.T) {
	f, _, _ := adminFixture(t, false)
	for _, rq := range []request{
		{method: "POST", path: "/admin/jobs/session", auth: true},
		{method: "DELETE", path: "/admin/jobs/session", auth: true},
		{method: "GET", path: "/admin/jobs/", header: []string{"Cookie: " + jobsCookie + "=" + aliceToken}},
		{method: "POST", path: "/admin/jobs/api/jobs/retry", auth: true, body: `{}`, contentType: "application/json"},
	} {
		w := f.do(t, rq)
		if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
			t.Errorf("%s %s = %d, cookies %v; want 403 and none", rq.method, rq.path, w.Code, w.Result().Cookies())
		}
	}
}

// The user list passes its query to the use case as sent (the
// application validates it, after the actor) and pages by the last id.
func TestAdminUsersQuery(t *testing.T) {
	f, fa, _ := adminFixture(t, true)
	w := f.do(t, request{method: "GET", path: "/admin/users?search=Al&after=3&limit=1", auth: true})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/users = %d %s", w.Code, w.Body)
	}
	if d := cmp.Diff(user.ListQuery{Search: "Al", After: 3, Limit: 1}, fa.gotQ); d != "" {
		t.Errorf("query (-want +got):\n%s", d)
	}
	var page struct {
		Users     []map[string]any `json:"users"`
		NextAfter *int64           `json:"next_after"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page.Users) != 1 || page.NextAfter == nil || *page.NextAfter != int64(aliceID) {
		t.Fatalf("page = %s (%v)", w.Body, err)
	}
	if w := f.do(t, request{method: "GET", path: "/admin/users?limit=x", auth: true}); w.Code != http.StatusBadRequest {
		t.Errorf("limit=x = %d", w.Code)
	}
	if w := f.do(t, request{method: "GET", path: "/admin/users"}); w.Code != http.StatusUnauthorized {
		t.Errorf("without a token = %d", w.Code)
	}
}
