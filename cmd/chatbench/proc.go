package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// listenerPID finds the process listening on the TCP port of base
// (http://host:port): the socket inode from /proc/net/tcp{,6}, then the
// process holding it among /proc/*/fd.
func listenerPID(base string) (int, error) {
	u, err := url.Parse(base)
	if err != nil {
		return 0, err
	}
	_, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		return 0, fmt.Errorf("no port in %q: %w", base, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && p == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, dir := range procs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && inodes[link] {
				return strconv.Atoi(filepath.Base(filepath.Dir(dir)))
			}
		}
	}
	return 0, fmt.Errorf("no visible process holds the listener on port %d", port)
}

// rssBytes reads VmRSS of a process.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// goroutines reads the total from the first line of a pprof goroutine
// profile: "goroutine profile: total N".
func goroutines(ctx context.Context, pprofURL string) (int, error) {
	b, err := fetch(ctx, strings.TrimRight(pprofURL, "/")+"/debug/pprof/goroutine?debug=1", 1024)
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("goroutine profile: total "))
	if !ok {
		return 0, fmt.Errorf("unexpected goroutine profile header %q", line)
	}
	return strconv.Atoi(string(bytes.TrimSpace(rest)))
}

// cpuProfile fetches a CPU profile of d from pprofURL and writes it to path.
func cpuProfile(ctx context.Context, pprofURL string, d time.Duration, path string) error {
	secs := max(1, int(d.Seconds())-1)
	b, err := fetch(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimRight(pprofURL, "/"), secs), 256<<20)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func fetch(ctx context.Context, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// goMemory reads the Go memory in use by the server, after a forced GC, from
// the MemStats trailer of its pprof heap profile: HeapInuse plus the stack
// in use. Unlike RSS it does not depend on what the runtime kept from
// earlier load, so it measures what holding the sockets costs.
func goMemory(ctx context.Context, pprofURL string) (int64, error) {
	b, err := fetch(ctx, strings.TrimRight(pprofURL, "/")+"/debug/pprof/heap?debug=1&gc=1", 64<<20)
	if err != nil {
		return 0, err
	}
	var heap, stack int64 = -1, -1
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			heap, _ = strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		}
		if rest, ok := strings.CutPrefix(line, "# Stack = "); ok { // "inuse / sys"
			inuse, _, _ := strings.Cut(rest, " ")
			stack, _ = strconv.ParseInt(inuse, 10, 64)
		}
	}
	if heap < 0 || stack < 0 {
		return 0, fmt.Errorf("no HeapInuse or Stack in the heap profile of %s", pprofURL)
	}
	return heap + stack, nil
}

// raiseFileLimit lifts the open-file limit as far as this process may (the
// hard limit; beyond it when privileged, up to want) and returns the soft
// limit now in force. Every socket is a file, twice over for the in-process
// baseline server (both ends).
func raiseFileLimit(want uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return want
		}
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

// checkFileLimit fails early, with the remedy, when n more files than the
// limit allows would be needed.
func checkFileLimit(n int) error {
	const spare = 256 // HTTP clients, pprof, /proc reads
	limit := raiseFileLimit(uint64(n + spare))
	if limit != 0 && uint64(n+spare) > limit {
		return fmt.Errorf("%d sockets need about %d open files, but the limit is %d: raise it (ulimit -n, or run as root)", n, n+spare, limit)
	}
	return nil
}
