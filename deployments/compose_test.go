package deployments

import (
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// image is what the Dockerfile's final stage gives a container.
type image struct {
	uid, gid int
	env      map[string]string
	volumes  []string
	dirs     map[string]int // directory → owner uid, as the RUN lines leave it
}

// readImage reads the final stage of the Dockerfile: its USER (resolving a
// name through the useradd line), ENV, VOLUME, and the directories its RUN
// lines create (mkdir -p) and hand over (chown [-R]).
func readImage(t *testing.T) image {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continued lines, drop comments, keep the final stage.
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(raw), "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			lines = nil
		}
		lines = append(lines, l)
	}
	img := image{uid: -1, gid: -1, env: map[string]string{}, dirs: map[string]int{}}
	users := map[string][2]int{} // name → uid, gid
	var user string
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "USER":
			user = rest
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					img.env[k] = v
				}
			}
		case "VOLUME":
			img.volumes = append(img.volumes, strings.Fields(strings.Trim(rest, "[]\""))...)
		case "RUN":
			for _, cmd := range strings.Split(rest, "&&") {
				args := strings.Fields(cmd)
				if len(args) == 0 {
					continue
				}
				runCommand(t, args, users, img.dirs)
			}
		}
	}
	name, group, _ := strings.Cut(user, ":")
	if id, err := strconv.Atoi(name); err == nil {
		img.uid = id
	} else if u, ok := users[name]; ok {
		img.uid, img.gid = u[0], u[1]
	}
	if group != "" {
		if id, err := strconv.Atoi(group); err == nil {
			img.gid = id
		}
	}
	return img
}

// runCommand applies one command of a RUN line to what the test tracks.
func runCommand(t *testing.T, args []string, users map[string][2]int, dirs map[string]int) {
	flag := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	switch args[0] {
	case "useradd":
		uid, _ := strconv.Atoi(flag("--uid"))
		gid, _ := strconv.Atoi(flag("--gid"))
		users[args[len(args)-1]] = [2]int{uid, gid}
	case "mkdir":
		for _, p := range args[1:] {
			if !strings.HasPrefix(p, "-") {
				for d := path.Clean(p); d != "/"; d = path.Dir(d) {
					if _, ok := dirs[d]; !ok {
						dirs[d] = 0 // made by root
					}
				}
			}
		}
	case "chown":
		recursive := slices.Contains(args, "-R")
		var owner string
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if owner == "" {
				owner = a
				continue
			}
			name, _, _ := strings.Cut(owner, ":")
			uid, err := strconv.Atoi(name)
			if err != nil {
				u, ok := users[name]
				if !ok {
					t.Fatalf("chown to %q, a user the Dockerfile does not create", owner)
				}
				uid = u[0]
			}
			p := path.Clean(a)
			if _, ok := dirs[p]; !ok {
				t.Errorf("chown %s: not created by a RUN line", p)
			}
			for d := range dirs {
				if d == p || recursive && strings.HasPrefix(d, p+"/") {
					dirs[d] = uid
				}
			}
		}
	}
}

func TestDockerfileOwnsWhatChatdWrites(t *testing.T) {
	img := readImage(t)
	if img.uid != 10001 || img.gid != 10001 {
		t.Fatalf("the image runs as %d:%d, want 10001:10001", img.uid, img.gid)
	}
	data := img.env["DATA_DIR"]
	if data == "" {
		t.Fatal("the image sets no DATA_DIR")
	}
	// What chatd writes by default: DATA_DIR and UPLOAD_PATH's default,
	// DATA_DIR/uploads; and every declared volume, which a fresh named
	// volume copies its ownership from.
	for _, p := range append([]string{data, path.Join(data, "uploads")}, img.volumes...) {
		if owner, ok := img.dirs[p]; !ok || owner != img.uid {
			t.Errorf("%s: exists %v, owner %d; want it made and owned by %d in the image", p, ok, owner, img.uid)
		}
	}
}

// composeFile is the part of compose.yaml the tests read.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		User        string            `yaml:"user"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Tmpfs       []string          `yaml:"tmpfs"`
		Ports       []string          `yaml:"ports"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// chatdServices are compose's services built from the Dockerfile.
func chatdServices(c composeFile) []string {
	var names []string
	for name, s := range c.Services {
		if s.Build != nil && path.Base(s.Build.Dockerfile) == "Dockerfile" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestComposeRunsAsTheImageUser: in every chatd container, each mount
// point and each path a variable points chatd at exists in the image,
// owned by the user it runs as — a fresh named volume would otherwise be
// root's, and chatd could not write to it.
func TestComposeRunsAsTheImageUser(t *testing.T) {
	img, c := readImage(t), readCompose(t)
	names := chatdServices(c)
	if len(names) < 3 {
		t.Fatalf("chatd services %v, want two API instances and a worker", names)
	}
	for _, name := range names {
		s := c.Services[name]
		if s.User != "" && s.User != "10001" && s.User != "10001:10001" {
			t.Errorf("%s runs as %q, not the image's user", name, s.User)
		}
		writable := map[string]bool{}
		for _, tm := range s.Tmpfs {
			writable[path.Clean(strings.Split(tm, ":")[0])] = true // a fresh tmpfs is writable by all
		}
		var paths []string
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) < 2 {
				t.Errorf("%s: volume %q has no target", name, v)
				continue
			}
			paths = append(paths, parts[1])
		}
		for k, v := range s.Environment {
			if (k == "DATA_DIR" || k == "UPLOAD_PATH" || strings.HasSuffix(k, "_DIR") || strings.HasSuffix(k, "_PATH")) && strings.HasPrefix(v, "/") {
				paths = append(paths, v)
			}
		}
		for _, p := range paths {
			p = path.Clean(p)
			if under(p, writable) {
				continue
			}
			if owner, ok := img.dirs[p]; !ok || owner != img.uid {
				t.Errorf("%s: %s exists in the image: %v, owner %d; want it owned by %d", name, p, ok, owner, img.uid)
			}
		}
	}
}

func under(p string, roots map[string]bool) bool {
	for r := range roots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// TestComposeSharesNoFolder: instances keep files in the bucket, never in a
// volume two containers share, and the bucket is MinIO's, reached through
// the load balancer for downloads.
func TestComposeSharesNoFolder(t *testing.T) {
	c := readCompose(t)
	mountedBy := map[string][]string{}
	for _, name := range chatdServices(c) {
		s := c.Services[name]
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			mountedBy[src] = append(mountedBy[src], name)
		}
		if _, ok := c.Volumes["uploads"]; ok {
			t.Error("compose still declares an uploads volume")
		}
		if s.Environment["UPLOAD_PATH"] != "" {
			t.Errorf("%s sets UPLOAD_PATH", name)
		}
		blobURL := s.Environment["BLOB_URL"]
		u, err := url.Parse(blobURL)
		if err != nil || u.Scheme != "s3" || u.Host == "" {
			t.Errorf("%s: BLOB_URL %q, want s3://bucket?…", name, blobURL)
			continue
		}
		endpoint := u.Query().Get("endpoint")
		if host, _, _ := strings.Cut(endpoint, ":"); c.Services[host].Image == "" || !strings.HasPrefix(c.Services[host].Image, "minio/minio") {
			t.Errorf("%s: BLOB_URL's endpoint %q is not the compose file's MinIO", name, endpoint)
		}
		if s.Environment["S3_ACCESS_KEY"] == "" || s.Environment["S3_SECRET_KEY"] == "" {
			t.Errorf("%s: no S3 credentials", name)
		}
	}
	for src, by := range mountedBy {
		if len(by) > 1 {
			t.Errorf("volume %s is shared by %v", src, by)
		}
	}
}

// TestLoadBalancer: the Caddyfile spreads requests over every chatd API
// instance on chatd's port, checks them on /readyz, leaves WebSocket
// upgrades alone (Caddy passes Upgrade and Connection through by itself),
// and sends the bucket's paths to MinIO untouched; compose publishes it and
// nothing else of chatd.
func TestLoadBalancer(t *testing.T) {
	img, c := readImage(t), readCompose(t)
	raw, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	var conf []string // without comments
	for _, l := range strings.Split(string(raw), "\n") {
		if l, _, _ = strings.Cut(l, "#"); strings.TrimSpace(l) != "" {
			conf = append(conf, strings.TrimSpace(l))
		}
	}
	caddy := strings.Join(conf, "\n")

	_, port, _ := strings.Cut(img.env["ADDR"], ":")
	var api []string
	for _, name := range chatdServices(c) {
		s := c.Services[name]
		if len(s.Command) > 0 && s.Command[0] == "serve" {
			api = append(api, name+":"+port)
			if len(s.Ports) > 0 {
				t.Errorf("%s publishes %v: clients must come through the load balancer", name, s.Ports)
			}
		}
	}
	if len(api) < 2 {
		t.Fatalf("API instances %v, want at least two", api)
	}
	proxy := regexp.MustCompile(`(?m)^reverse_proxy ((?:\S+:\d+ ?)+)\{\n((?:[^}]*\n)*?)\}`).FindAllStringSubmatch(caddy, -1)
	var upstreams []string
	var block string
	for _, m := range proxy {
		if ups := strings.Fields(m[1]); slices.Contains(ups, api[0]) {
			upstreams, block = ups, m[2]
		}
	}
	slices.Sort(upstreams)
	if !slices.Equal(upstreams, api) {
		t.Errorf("the load balancer's upstreams %v, want every API instance %v", upstreams, api)
	}
	if !regexp.MustCompile(`(?m)^health_uri /readyz$`).MatchString(block) {
		t.Errorf("the API upstreams are not health-checked on /readyz:\n%s", block)
	}
	for _, stripped := range []string{"header_up -Upgrade", "header_up -Connection", "versions h2c", "versions 2"} {
		if strings.Contains(caddy, stripped) {
			t.Errorf("%q would keep WebSocket upgrades from the instances", stripped)
		}
	}
	site := regexp.MustCompile(`(?m)^:(\d+) \{`).FindStringSubmatch(caddy)
	var lb string
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, "caddy:") {
			lb = name
			if site == nil || !slices.ContainsFunc(s.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+site[1]) }) {
				t.Errorf("the load balancer %s publishes %v, not its site's port %v", name, s.Ports, site)
			}
			if !slices.Contains(s.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") {
				t.Errorf("the load balancer %s does not mount the Caddyfile: %v", name, s.Volumes)
			}
		}
	}
	if lb == "" {
		t.Fatal("no load balancer service (a caddy image) in compose.yaml")
	}
	// Downloads: presigned links under public_url, to the bucket's path.
	u, _ := url.Parse(c.Services[api[0][:strings.IndexByte(api[0], ':')]].Environment["BLOB_URL"])
	bucket, endpoint := u.Host, u.Query().Get("endpoint")
	if pub := u.Query().Get("public_url"); !strings.Contains(pub, "localhost:"+site[1]) && !strings.Contains(pub, "PUBLIC_URL") {
		t.Errorf("public_url %q is not the load balancer's address", pub)
	}
	files := regexp.MustCompile(`(?m)^@(\S+) path /` + regexp.QuoteMeta(bucket) + `/\*$`).FindStringSubmatch(caddy)
	if files == nil || !regexp.MustCompile(`(?s)handle @`+files[1]+` \{.*?reverse_proxy `+regexp.QuoteMeta(endpoint)+`\n`).MatchString(caddy) {
		t.Errorf("the load balancer does not send /%s/* to %s", bucket, endpoint)
	}
	if !strings.Contains(caddy, "Content-Security-Policy sandbox") || !strings.Contains(caddy, "X-Content-Type-Options nosniff") {
		t.Error("downloads from the bucket lack nosniff and the sandbox policy")
	}
}
