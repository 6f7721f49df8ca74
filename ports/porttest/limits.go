package porttest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/ports"
)

// Limiter runs the contract of ports.Limiter. newLimiter returns two
// handles over one shared state, like two instances of the server (an
// in-process limiter returns itself twice); it is called once per subtest
// and the handles must start with no counters. Nothing here asserts how
// long anything took: refills and expiries are awaited by polling.
func Limiter(t *testing.T, newLimiter func(t *testing.T) (ports.Limiter, ports.Limiter)) {
	runPairs(t, newLimiter, []pairCase[ports.Limiter]{
		{"TakeAllowsTheBurstAcrossInstances", testTakeBurst},
		{"TakeRefillsAndRefusalsAreFree", testTakeRefill},
		{"TakeKeysAreIndependent", testTakeKeys},
		{"TakeUnlimited", testTakeUnlimited},
		{"TakeConcurrentNeverOvercharges", testTakeConcurrent},
		{"FailGrowsTheDelay", testFailGrows},
		{"SucceedForgetsFailuresAndRemembers", testSucceed},
		{"FailuresAreForgotten", testFailForget},
		{"SuccessIsForgotten", testSuccessForget},
	})
}

func take(t *testing.T, l ports.Limiter, key string, r ports.Rate) time.Duration {
	t.Helper()
	d, err := l.Take(ctxOf(t), key, r)
	if err != nil {
		t.Fatalf("Take(%q): %v", key, err)
	}
	return d
}

func backoffOf(t *testing.T, l ports.Limiter, key string) ports.BackoffState {
	t.Helper()
	st, err := l.Backoff(ctxOf(t), key)
	if err != nil {
		t.Fatalf("Backoff(%q): %v", key, err)
	}
	return st
}

func fail(t *testing.T, l ports.Limiter, key string, b ports.Backoff) time.Duration {
	t.Helper()
	d, err := l.Fail(ctxOf(t), key, b)
	if err != nil {
		t.Fatalf("Fail(%q): %v", key, err)
	}
	return d
}

func succeed(t *testing.T, l ports.Limiter, key string, remember time.Duration) {
	t.Helper()
	if err := l.Succeed(ctxOf(t), key, remember); err != nil {
		t.Fatalf("Succeed(%q): %v", key, err)
	}
}

func testTakeBurst(t *testing.T, a, b ports.Limiter) {
	r := ports.Rate{Burst: 5, Per: time.Hour}
	for i := range r.Burst {
		if d := take(t, []ports.Limiter{a, b}[i%2], "send:u:1", r); d != 0 {
			t.Fatalf("take %d of a burst of %d refused (retry after %v)", i+1, r.Burst, d)
		}
	}
	for _, l := range []ports.Limiter{a, b} {
		d := take(t, l, "send:u:1", r)
		// One token comes back every Per/Burst (12 minutes): the wait is
		// positive and at most that (adapters may round up to 1 ms).
		if d <= 0 || d > r.Per/time.Duration(r.Burst)+time.Millisecond {
			t.Errorf("take beyond the burst: retry after %v, want within (0, %v]", d, r.Per/time.Duration(r.Burst))
		}
	}
}

func testTakeRefill(t *testing.T, a, b ports.Limiter) {
	r := ports.Rate{Burst: 2, Per: 200 * time.Millisecond}
	take(t, a, "k", r)
	take(t, b, "k", r)
	if d := take(t, a, "k", r); d == 0 {
		t.Fatal("third take of a burst of 2 allowed")
	}
	// Polling every few milliseconds: if refused takes were charged, the
	// bucket would never refill.
	if !eventually(func() bool { return take(t, b, "k", r) == 0 }) {
		t.Fatalf("no token back within %v of a refill period of %v", liveWait, r.Per/2)
	}
}

func testTakeKeys(t *testing.T, a, b ports.Limiter) {
	r := ports.Rate{Burst: 1, Per: time.Hour}
	if d := take(t, a, "join:u:1", r); d != 0 {
		t.Fatalf("first take refused: %v", d)
	}
	if d := take(t, b, "join:u:1", r); d == 0 {
		t.Fatal("second take of a burst of 1 allowed")
	}
	for _, key := range []string{"join:u:2", "send:u:1", "login:a:2001:db8::/64", "login:ua:alice|192.0.2.1"} {
		if d := take(t, b, key, r); d != 0 {
			t.Errorf("take on %q refused after another key was exhausted: %v", key, d)
		}
	}
}

func testTakeUnlimited(t *testing.T, a, _ ports.Limiter) {
	for _, r := range []ports.Rate{{}, {Burst: 0, Per: time.Second}, {Burst: 3}} {
		for i := range 10 {
			if d := take(t, a, "free", r); d != 0 {
				t.Fatalf("unlimited rate %+v: take %d refused (%v)", r, i+1, d)
			}
		}
	}
}

func testTakeConcurrent(t *testing.T, a, b ports.Limiter) {
	r := ports.Rate{Burst: 20, Per: time.Hour}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := []ports.Limiter{a, b}[i%2].Take(ctxOf(t), "flood", r)
			if err != nil {
				t.Errorf("Take: %v", err)
				return
			}
			if d == 0 {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// The test runs in far less than the 3 minutes a token takes to come
	// back, so exactly the burst is allowed.
	if allowed != r.Burst {
		t.Errorf("60 concurrent takes allowed %d, want the burst of %d", allowed, r.Burst)
	}
}

func testFailGrows(t *testing.T, a, b ports.Limiter) {
	bo := ports.Backoff{Free: 2, Base: time.Hour, Max: 4 * time.Hour, Forget: 24 * time.Hour}
	if got := backoffOf(t, a, "login:ua:x"); got != (ports.BackoffState{}) {
		t.Fatalf("fresh key: %+v, want the zero state", got)
	}
	var got []time.Duration
	for i := range 6 {
		got = append(got, fail(t, []ports.Limiter{a, b}[i%2], "login:ua:x", bo))
	}
	want := []time.Duration{0, 0, time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("delays after each failure (-want +got):\n%s", d)
	}
	for i, w := range want {
		if d := bo.Delay(i + 1); d != w {
			t.Errorf("Backoff.Delay(%d) = %v, want %v", i+1, d, w)
		}
	}
	st := backoffOf(t, b, "login:ua:x")
	if st.Failures != 6 || st.Succeeded || st.Wait <= 0 || st.Wait > bo.Max {
		t.Errorf("state after 6 failures: %+v, want 6 failures and a wait within (0, %v]", st, bo.Max)
	}
	if st := backoffOf(t, a, "login:ua:y"); st != (ports.BackoffState{}) {
		t.Errorf("another key: %+v, want the zero state", st)
	}
}

func testSucceed(t *testing.T, a, b ports.Limiter) {
	bo := ports.Backoff{Free: 0, Base: time.Hour, Max: time.Hour, Forget: 24 * time.Hour}
	fail(t, a, "pair", bo)
	fail(t, a, "pair", bo)
	succeed(t, b, "pair", 24*time.Hour)
	if got, want := backoffOf(t, a, "pair"), (ports.BackoffState{Succeeded: true}); got != want {
		t.Errorf("after a success: %+v, want %+v", got, want)
	}
	if d := fail(t, a, "pair", bo); d != time.Hour {
		t.Errorf("first failure after a success: delay %v, want %v (counting starts again)", d, time.Hour)
	}
	if st := backoffOf(t, b, "pair"); st.Failures != 1 || !st.Succeeded || st.Wait <= 0 {
		t.Errorf("a failure after a success: %+v, want 1 failure, the success still remembered and a wait", st)
	}
	succeed(t, a, "pair", 0)
	if got := backoffOf(t, b, "pair"); got != (ports.BackoffState{}) {
		t.Errorf("after Succeed with remember 0: %+v, want the zero state", got)
	}
}

func testFailForget(t *testing.T, a, b ports.Limiter) {
	// Forget is long enough for the two failures to count together on a
	// loaded machine, and short enough to wait for.
	bo := ports.Backoff{Free: 1, Base: 50 * time.Millisecond, Max: 50 * time.Millisecond, Forget: 2 * time.Second}
	fail(t, a, "k", bo)
	if d := fail(t, b, "k", bo); d != bo.Base {
		t.Fatalf("second failure: delay %v, want %v", d, bo.Base)
	}
	if !eventually(func() bool { return backoffOf(t, a, "k") == (ports.BackoffState{}) }) {
		t.Fatalf("failures not forgotten within %v of Forget %v: %+v", liveWait, bo.Forget, backoffOf(t, a, "k"))
	}
	if d := fail(t, b, "k", bo); d != 0 {
		t.Errorf("first failure after forgetting: delay %v, want 0 (one is free)", d)
	}
}

func testSuccessForget(t *testing.T, a, b ports.Limiter) {
	succeed(t, a, "k", 2*time.Second)
	if !backoffOf(t, b, "k").Succeeded {
		t.Fatal("success not remembered")
	}
	if !eventually(func() bool { return !backoffOf(t, b, "k").Succeeded }) {
		t.Fatalf("success still remembered %v after a remember period of 2s", liveWait)
	}
}
