package deployments

import (
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// object is the part of a Kubernetes object the tests read; each kind
// fills what it has.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"` // ConfigMap
	Spec struct {
		// Deployment
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxUnavailable any `yaml:"maxUnavailable"`
				MaxSurge       any `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		// Service
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		// PodDisruptionBudget
		MaxUnavailable any `yaml:"maxUnavailable"`
		MinAvailable   any `yaml:"minAvailable"`
		// Ingress
		Rules []struct {
			HTTP struct {
				Paths []struct {
					Backend struct {
						Service struct {
							Name string `yaml:"name"`
							Port struct {
								Name   string `yaml:"name"`
								Number int    `yaml:"number"`
							} `yaml:"port"`
						} `yaml:"service"`
					} `yaml:"backend"`
				} `yaml:"paths"`
			} `yaml:"http"`
		} `yaml:"rules"`
	} `yaml:"spec"`
	// Service's selector sits beside the Deployment's, as a plain map.
	ServiceSelector map[string]string `yaml:"-"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
		RunAsGroup   int  `yaml:"runAsGroup"`
		FSGroup      int  `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name     string `yaml:"name"`
		EmptyDir any    `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom struct {
			SecretKeyRef struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Exec struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// readManifests decodes every document of k8s/*.yaml but the
// kustomization, by kind and name.
func readManifests(t *testing.T) map[string]object {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/: %v", err)
	}
	objs := map[string]object{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		for {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o object
			if err := node.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "Service" {
				var s struct {
					Spec struct {
						Selector map[string]string `yaml:"selector"`
					} `yaml:"spec"`
				}
				if err := node.Decode(&s); err != nil {
					t.Fatal(err)
				}
				o.ServiceSelector = s.Spec.Selector
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: a document without apiVersion, kind or name", f)
			}
			objs[o.Kind+"/"+o.Metadata.Name] = o
		}
	}
	return objs
}

func get(t *testing.T, objs map[string]object, key string) object {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		t.Fatalf("no %s among %v", key, slices.Sorted(maps.Keys(objs)))
	}
	return o
}

// matches reports whether selector selects labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// portOf resolves a probe's or a Service's target port (a name or a
// number) against the container's ports.
func portOf(c container, p any) (int, bool) {
	for _, cp := range c.Ports {
		if p == cp.Name || p == cp.ContainerPort {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func TestKubernetesAPI(t *testing.T) {
	objs := readManifests(t)
	api := get(t, objs, "Deployment/chat-api")
	pod := api.Spec.Template.Spec
	if api.Spec.Replicas == nil {
		t.Fatal("chat-api sets no replicas (Kubernetes' default is 1)")
	}
	if *api.Spec.Replicas < 2 {
		t.Errorf("chat-api replicas %d, want at least 2", *api.Spec.Replicas)
	}
	ru := api.Spec.Strategy.RollingUpdate
	if api.Spec.Strategy.Type != "RollingUpdate" || ru.MaxUnavailable != 0 || ru.MaxSurge != 1 {
		t.Errorf("chat-api strategy %+v, want a rolling update with maxUnavailable 0 and maxSurge 1", api.Spec.Strategy)
	}
	if !matches(api.Spec.Selector.MatchLabels, api.Spec.Template.Metadata.Labels) {
		t.Errorf("chat-api's selector %v does not select its pods %v", api.Spec.Selector.MatchLabels, api.Spec.Template.Metadata.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("chat-api has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) || envValue(c, "WORKERS") != "0" {
		t.Errorf("chat-api runs %v with WORKERS=%q, want serve with the jobs in the worker", c.Args, envValue(c, "WORKERS"))
	}
	for _, pr := range []struct {
		name string
		p    *probe
		path string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if pr.p == nil || pr.p.HTTPGet.Path != pr.path {
			t.Errorf("chat-api's %s probe %+v, want GET %s", pr.name, pr.p, pr.path)
			continue
		}
		if port, ok := portOf(c, pr.p.HTTPGet.Port); !ok || port != 8000 {
			t.Errorf("chat-api's %s probe port %v is not the container's 8000", pr.name, pr.p.HTTPGet.Port)
		}
	}
	// Draining: preStop, then SHUTDOWN_GRACE, within the grace period.
	cm := get(t, objs, "ConfigMap/chat-config")
	grace, err := time.ParseDuration(cm.Data["SHUTDOWN_GRACE"])
	if err != nil {
		t.Fatalf("chat-config's SHUTDOWN_GRACE %q: %v", cm.Data["SHUTDOWN_GRACE"], err)
	}
	var pause time.Duration
	if cmd := c.Lifecycle.PreStop.Exec.Command; len(cmd) == 2 && cmd[0] == "/bin/sleep" {
		s, _ := strconv.Atoi(cmd[1])
		pause = time.Duration(s) * time.Second
	} else {
		t.Errorf("chat-api's preStop %v, want a pause while the endpoints forget the pod", cmd)
	}
	if total := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; total < pause+grace+5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %v leaves no room for preStop %v + SHUTDOWN_GRACE %v", total, pause, grace)
	}

	svc := get(t, objs, "Service/chat-api")
	if !matches(svc.ServiceSelector, api.Spec.Template.Metadata.Labels) {
		t.Errorf("the Service's selector %v does not select chat-api's pods", svc.ServiceSelector)
	}
	worker := get(t, objs, "Deployment/chat-worker")
	if matches(svc.ServiceSelector, worker.Spec.Template.Metadata.Labels) {
		t.Error("the Service also selects the worker, which serves no HTTP")
	}
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("Service ports %+v, want one", svc.Spec.Ports)
	}
	if port, ok := portOf(c, svc.Spec.Ports[0].TargetPort); !ok || port != 8000 {
		t.Errorf("the Service's targetPort %v is not the container's port", svc.Spec.Ports[0].TargetPort)
	}
	ing := get(t, objs, "Ingress/chat")
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			b := p.Backend.Service
			if b.Name != svc.Metadata.Name || (b.Port.Name != svc.Spec.Ports[0].Name && b.Port.Number != svc.Spec.Ports[0].Port) {
				t.Errorf("the Ingress sends to %s:%v, not the Service %s:%s", b.Name, b.Port, svc.Metadata.Name, svc.Spec.Ports[0].Name)
			}
		}
	}

	pdb := get(t, objs, "PodDisruptionBudget/chat-api")
	if !matches(pdb.Spec.Selector.MatchLabels, api.Spec.Template.Metadata.Labels) || matches(pdb.Spec.Selector.MatchLabels, worker.Spec.Template.Metadata.Labels) {
		t.Errorf("the PodDisruptionBudget's selector %v does not select exactly chat-api's pods", pdb.Spec.Selector.MatchLabels)
	}
	if mu, ok := pdb.Spec.MaxUnavailable.(int); !ok || mu < 1 || mu >= *api.Spec.Replicas {
		t.Errorf("the PodDisruptionBudget's maxUnavailable %v, want at least 1 and fewer than the %d replicas", pdb.Spec.MaxUnavailable, *api.Spec.Replicas)
	}
}

// envValue is a container's literal value of name.
func envValue(c container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// TestKubernetesPods: both Deployments run as the image's user on a
// read-only root with /tmp writable, and get the configuration chatd needs
// in scale-out: the ConfigMap they name exists and holds BLOB_URL; the
// secrets come from the Secret the doc tells how to create.
func TestKubernetesPods(t *testing.T) {
	objs := readManifests(t)
	doc, err := os.ReadFile("doc.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chat-api", "chat-worker"} {
		d := get(t, objs, "Deployment/"+name)
		pod := d.Spec.Template.Spec
		if !matches(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
			t.Errorf("%s's selector does not select its pods", name)
		}
		sc := pod.SecurityContext
		if !sc.RunAsNonRoot || sc.RunAsUser != 10001 || sc.RunAsGroup != 10001 || sc.FSGroup != 10001 {
			t.Errorf("%s's pod security context %+v, want non-root 10001:10001 with fsGroup 10001", name, sc)
		}
		tmp := map[string]bool{}
		for _, v := range pod.Volumes {
			if v.EmptyDir != nil {
				tmp[v.Name] = true
			}
		}
		for _, c := range pod.Containers {
			cs := c.SecurityContext
			if !cs.ReadOnlyRootFilesystem || cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation || !slices.Contains(cs.Capabilities.Drop, "ALL") {
				t.Errorf("%s/%s security context %+v, want a read-only root, no privilege escalation, no capabilities", name, c.Name, cs)
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			}) bool {
				return m.MountPath == "/tmp" && tmp[m.Name]
			}) {
				t.Errorf("%s/%s has no writable /tmp (libvips spills large images there)", name, c.Name)
			}
			secrets := map[string]bool{}
			for _, e := range c.Env {
				if ref := e.ValueFrom.SecretKeyRef; ref.Name != "" {
					if ref.Name != "chat-secrets" || ref.Key != e.Name {
						t.Errorf("%s: %s from secret %s key %s, want chat-secrets' %s", name, e.Name, ref.Name, ref.Key, e.Name)
					}
					secrets[e.Name] = true
				} else if strings.Contains(e.Name, "SECRET") || e.Name == "DATABASE_URL" || e.Name == "REDIS_URL" {
					t.Errorf("%s: %s is written in the manifest, not taken from a Secret", name, e.Name)
				}
			}
			for _, want := range []string{"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "S3_ACCESS_KEY", "S3_SECRET_KEY"} {
				if !secrets[want] {
					t.Errorf("%s: %s does not come from the Secret", name, want)
				}
				if !strings.Contains(string(doc), "--from-literal="+want+"=") {
					t.Errorf("doc.md does not tell how to put %s in chat-secrets", want)
				}
			}
			for _, ef := range c.EnvFrom {
				cm := get(t, objs, "ConfigMap/"+ef.ConfigMapRef.Name)
				if !strings.HasPrefix(cm.Data["BLOB_URL"], "s3://") {
					t.Errorf("ConfigMap %s has no s3:// BLOB_URL", cm.Metadata.Name)
				}
				if cm.Data["UPLOAD_PATH"] != "" {
					t.Errorf("ConfigMap %s sets UPLOAD_PATH: pods share no folder", cm.Metadata.Name)
				}
			}
			if len(c.EnvFrom) == 0 {
				t.Errorf("%s/%s takes no ConfigMap", name, c.Name)
			}
		}
	}
	// kubectl apply -k applies every manifest.
	raw, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
}
