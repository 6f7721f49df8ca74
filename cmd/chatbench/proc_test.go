package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"testing"
)

func TestListenerPIDFindsThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := listenerPID("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Fatalf("listenerPID = %d, want this process %d", pid, os.Getpid())
	}
	if rss, err := rssBytes(pid); err != nil || rss <= 0 {
		t.Fatalf("rssBytes(%d) = %d, %v; want a positive size", pid, rss, err)
	}
}

func TestServerStatsFromPprof(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	if n, err := goroutines(ctx, srv.URL); err != nil || n <= 0 {
		t.Fatalf("goroutines = %d, %v; want a positive count", n, err)
	}
	if m, err := goMemory(ctx, srv.URL); err != nil || m <= 0 {
		t.Fatalf("goMemory = %d, %v; want a positive size", m, err)
	}
}

func TestCheckFileLimit(t *testing.T) {
	if err := checkFileLimit(10); err != nil {
		t.Fatalf("checkFileLimit(10) = %v, want nil", err)
	}
	if err := checkFileLimit(1 << 40); err == nil {
		t.Fatal("checkFileLimit(2^40) = nil, want an error naming the limit")
	}
}
