package wire

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
)

func TestOneTableForStatuses(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
		close  int
	}{
		{domain.Errorf(domain.Invalid, "empty_message", "empty"), 422, "empty_message", CloseInternalError},
		{domain.Errorf(domain.Unauthenticated, "invalid_token", "bad"), 401, "invalid_token", CloseTokenExpired},
		{domain.Errorf(domain.Forbidden, "not_owner", "no"), 403, "not_owner", CloseRemoved},
		{domain.Errorf(domain.NotFound, "room_not_found", "no"), 404, "room_not_found", CloseRemoved},
		{domain.Errorf(domain.Conflict, "username_taken", "taken"), 409, "username_taken", CloseInternalError},
		{domain.Errorf(domain.TooMany, "rate_limited", "slow down"), 429, "rate_limited", ClosePolicyViolation},
		{domain.Errorf(domain.TooMany, "file_too_large", "big"), 413, "file_too_large", ClosePolicyViolation},
		{domain.Errorf(domain.Unavailable, "not_ready", "down"), 503, "not_ready", CloseTryAgainLater},
		{domain.Errorf(domain.Unsupported, "unsupported_image", "svg"), 415, "unsupported_image", CloseInternalError},
		{errors.New("disk on fire"), 500, "internal", CloseInternalError},
		{Refuse(400, "invalid_id", "id must be a positive integer", nil), 400, "invalid_id", CloseInternalError},
	} {
		p := ProblemOf(tc.err)
		if p.Status != tc.status || p.Code != tc.code || p.Title != http.StatusText(tc.status) {
			t.Errorf("ProblemOf(%v) = %+v, want %d %s", tc.err, p, tc.status, tc.code)
		}
		if p.Status == 500 && p.Detail != "internal error" {
			t.Errorf("a 500 tells the client %q", p.Detail)
		}
		if got := CloseCode(domain.KindOf(tc.err)); got != tc.close {
			t.Errorf("CloseCode(%v) = %d, want %d", tc.err, got, tc.close)
		}
	}
}

func TestWriteProblem(t *testing.T) {
	w := httptest.NewRecorder()
	err := domain.Limited(1500*time.Millisecond, "slow down")
	WriteProblem(w, err)
	want := `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down","code":"rate_limited"}` + "\n"
	if w.Code != 429 || w.Body.String() != want || w.Header().Get("Content-Type") != MIMEProblem || w.Header().Get("Retry-After") != "2" {
		t.Errorf("got %d %q %v", w.Code, w.Body, w.Header())
	}
}

func TestOneTimeFormat(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 120_000_000, time.FixedZone("CET", 3600))
	got := []string{FormatTime(at), string(AppendTime(nil, at)), FormatTime(at.Truncate(time.Second))}
	want := []string{"2026-01-02T02:04:05.120000Z", "2026-01-02T02:04:05.120000Z", "2026-01-02T02:04:05.000000Z"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
