package web

import (
	"embed"
	"encoding/json"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed all:dist
var dist embed.FS

const placeholder = `<!doctype html><html lang="en"><meta charset="utf-8"><title>chat</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>chat is running</h1>
<p>The API answers, but the web client was not built into this binary.</p>
<p>Build it and restart: <code>make run</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild chatd).</p>
<p>The API is described at <a href="/openapi.yaml">/openapi.yaml</a>.</p></body></html>`

// Built reports whether the client was embedded.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Handler serves the client: index.html at "/" (and at invite links,
// /invite/<code>), hashed assets with a long cache lifetime, each
// precompressed (brotli or gzip, as the browser accepts) when the build
// made a smaller twin. Other client-side routes live in the URL fragment,
// so they never reach the server and never clash with API paths. allowedOrigins are
// ALLOWED_ORIGINS' host patterns: the page's Content-Security-Policy lets it
// open sockets to its own origin and to their ws:// and wss:// forms, no
// other host. What does not exist is a problem+json 404, like the API's.
func Handler(allowedOrigins ...string) http.Handler {
	return HandlerWith(Config{AllowedOrigins: allowedOrigins})
}

// Config is what the client's page may reach besides its own origin.
type Config struct {
	// AllowedOrigins are ALLOWED_ORIGINS' host patterns: sockets.
	AllowedOrigins []string
	// ImageOrigins are origins (scheme://host[:port]) images load from:
	// a blob store that serves downloads itself, whose links the server's
	// file, thumbnail and avatar links redirect to.
	ImageOrigins []string
}

// HandlerWith is Handler with images also allowed from c.ImageOrigins.
func HandlerWith(c Config) http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	built := Built()
	csp := "default-src 'self'; img-src " + strings.Join(append([]string{"'self'", "blob:", "data:"}, c.ImageOrigins...), " ") +
		"; style-src 'self' 'unsafe-inline'; connect-src " +
		strings.Join(append([]string{"'self'"}, socketSources(c.AllowedOrigins)...), " ") +
		"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeProblem(w, http.StatusMethodNotAllowed, "method_not_allowed", "the web client is read with GET")
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		if r.URL.Path == "/" || r.URL.Path == "/index.html" || isInvite(r.URL.Path) {
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Security-Policy", csp)
			if !built {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte(placeholder))
				return
			}
			if !servePrecompressed(w, r, sub, "index.html") {
				r2 := r.Clone(r.Context())
				r2.URL.Path = "/"
				files.ServeHTTP(w, r2)
			}
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if fi, err := fs.Stat(sub, name); err != nil || fi.IsDir() || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
			writeProblem(w, http.StatusNotFound, "not_found", "no such page")
			return
		}
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		if !servePrecompressed(w, r, sub, name) {
			files.ServeHTTP(w, r)
		}
	})
}

// isInvite reports whether p is an invite link (/invite/<code>): the page
// is the client, which reads the code from the path.
func isInvite(p string) bool {
	code, ok := strings.CutPrefix(p, "/invite/")
	return ok && code != "" && !strings.ContainsAny(code, "/.")
}

// servePrecompressed serves name's .br or .gz twin from the build (npm run
// build writes them, scripts/compress.mjs) when the client accepts that
// encoding, with name's content type; false when it did not (no twin, or
// not accepted), and the caller serves name itself. Either way the answer
// varies by Accept-Encoding.
func servePrecompressed(w http.ResponseWriter, r *http.Request, sub fs.FS, name string) bool {
	w.Header().Add("Vary", "Accept-Encoding")
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !accepted[enc.token] {
			continue
		}
		f, err := sub.Open(name + enc.ext)
		if err != nil {
			continue
		}
		defer f.Close()
		rs, ok := f.(io.ReadSeeker)
		fi, err := f.Stat()
		if !ok || err != nil {
			continue
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Encoding", enc.token)
		http.ServeContent(w, r, name, fi.ModTime(), rs)
		return true
	}
	return false
}

// acceptedEncodings parses Accept-Encoding: the codings with a q above 0
// ("*" stands for every coding not named).
func acceptedEncodings(h string) map[string]bool {
	out := map[string]bool{}
	named := map[string]bool{}
	star := false
	for _, part := range strings.Split(h, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		token = strings.ToLower(strings.TrimSpace(token))
		if token == "" {
			continue
		}
		ok := true
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		if token == "*" {
			star = ok
			continue
		}
		named[token] = true
		out[token] = ok
	}
	if star {
		for _, t := range []string{"br", "gzip"} {
			if !named[t] {
				out[t] = true
			}
		}
	}
	return out
}

// socketSources turns ALLOWED_ORIGINS' patterns into connect-src sources:
// "chat.example.com" → ws://chat.example.com wss://chat.example.com, and
// "https://*.example.com" → wss://*.example.com. A pattern CSP cannot
// express (path.Match's ? and [...]) is left out: the page may not connect
// there, which is the safe side.
func socketSources(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		schemes := []string{"ws", "wss"}
		if scheme, host, ok := strings.Cut(p, "://"); ok {
			switch scheme {
			case "http", "ws":
				schemes = []string{"ws"}
			case "https", "wss":
				schemes = []string{"wss"}
			default:
				continue
			}
			p = host
		}
		if !cspHost(p) {
			continue
		}
		for _, sc := range schemes {
			out = append(out, sc+"://"+p)
		}
	}
	return out
}

// cspHost reports whether h is a CSP host-source host (and optional port):
// "*", or an optional leading "*." and host characters.
func cspHost(h string) bool {
	if h == "*" {
		return true
	}
	h = strings.TrimPrefix(h, "*.")
	if h == "" {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// writeProblem answers with an RFC 9457 problem, the shape of every error
// the server sends.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	body, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}{"about:blank", http.StatusText(status), status, detail, code})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
