// Package metrics implements the observers of chat/ports (SocketObserver,
// DeliveryObserver, RequestObserver, CommitObserver, BusObserver,
// JobObserver) over Prometheus, with the Go runtime and process
// collectors, and serves them in the Prometheus text format (Handler).
// cmd/chatd serves that handler on its own listener (METRICS_ADDR), never
// on the public one.
//
// The per-message observations (frames, deliveries, latencies, commits)
// are atomic adds on series made once, at New: no label lookup, lock or
// allocation per call. REST requests find their route's series in a map
// read without a lock; a route's first request makes them.
//
// Series are named chat_*; deployments/grafana-dashboard.json charts them.
//
// metrics imports chat/ports, the Prometheus client and the standard
// library only. Nothing in domain or application imports it.
package metrics
