// Package deployments holds what an operator runs: the Dockerfile, the
// compose file with its load balancer (Caddyfile), and the Kubernetes
// manifests (k8s/). It has no code of its own; its tests read those files
// — no Docker engine or cluster is needed — and check what would otherwise
// only fail on a real deployment: the image's user owns every path chatd
// writes, no folder is shared between instances, the load balancer
// reaches every instance and checks its health, and the manifests' probes,
// ports, selectors and secrets agree.
//
// The tests import go.yaml.in/yaml/v3 and the standard library only.
package deployments
