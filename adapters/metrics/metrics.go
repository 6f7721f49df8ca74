package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chat/ports"
)

var (
	_ ports.SocketObserver   = (*Metrics)(nil)
	_ ports.DeliveryObserver = (*Metrics)(nil)
	_ ports.RequestObserver  = (*Metrics)(nil)
	_ ports.CommitObserver   = (*Metrics)(nil)
	_ ports.BusObserver      = (*Metrics)(nil)
	_ ports.JobObserver      = (*Metrics)(nil)
)

// Metrics is every series chatd exports, on a registry of its own (nothing
// registers on Prometheus's global one behind our back).
type Metrics struct {
	reg *prometheus.Registry

	sockets     [2]prometheus.Gauge   // by ports.SocketKind
	slowClosed  [2]prometheus.Counter // by ports.SocketKind
	frames      [len(frameTypes)]prometheus.Counter
	deliveries  [len(eventNames)]prometheus.Counter
	msgLatency  prometheus.Histogram
	batchSize   prometheus.Histogram
	batchTime   prometheus.Histogram
	reconnects  prometheus.Counter
	jobs        *prometheus.CounterVec
	jobTime     *prometheus.HistogramVec
	queueDepth  *prometheus.GaugeVec
	httpTime    *prometheus.HistogramVec
	httpAnswers *prometheus.CounterVec

	routes  atomic.Pointer[map[routeKey]*routeSeries] // read without a lock; replaced whole
	routeMu sync.Mutex                                // serialises replacements
}

// frameTypes are the client frame types counted by name; any other is
// "other", so a client cannot mint series.
var frameTypes = [...]string{"message", "typing", "read", "ping", "resume", "invalid", "other"}

// eventNames names the event kinds (ports.EventKind) of deliveries.
var eventNames = [...]string{
	0:                        "other",
	ports.EventMessage:       "message",
	ports.EventTyping:        "typing",
	ports.EventPresence:      "presence",
	ports.EventFile:          "file",
	ports.EventMemberRemoved: "member_removed",
	ports.EventRoom:          "room_updated",
	ports.EventRoomDeleted:   "room_deleted",
	ports.EventSessionEnded:  "session_ended",
	ports.EventDirectory:     "directory",
	ports.EventRead:          "read",
	ports.EventUserPresence:  "user_presence",
	ports.EventMemberAdded:   "member_added",
	ports.EventProfile:       "profile",
	ports.EventChange:        "change",
	ports.EventResync:        "resync",
}

// maxRoutes bounds the route series: echo's route templates are few, and
// past this anything new is counted as route "other".
const maxRoutes = 256

// New makes every series and registers them, with the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	f := factory{reg}

	sockets := f.gaugeVec("chat_ws_sockets", "WebSockets open on this instance, by kind (room: /ws/rooms/{id}, stream: /ws).", "kind")
	slow := f.counterVec("chat_ws_slow_consumer_closes_total", "WebSockets closed with 1013 because their send queue was full, by kind.", "kind")
	for k, name := range map[ports.SocketKind]string{ports.RoomSocket: "room", ports.UserStream: "stream"} {
		m.sockets[k] = sockets.WithLabelValues(name)
		m.slowClosed[k] = slow.WithLabelValues(name)
	}
	frames := f.counterVec("chat_ws_frames_received_total", "Client WebSocket frames received, by type.", "type")
	for i, t := range frameTypes {
		m.frames[i] = frames.WithLabelValues(t)
	}
	deliveries := f.counterVec("chat_ws_deliveries_total", "Event frames queued to local sockets, by event type.", "type")
	for i, t := range eventNames {
		if t != "" {
			m.deliveries[i] = deliveries.WithLabelValues(t)
		}
	}
	m.msgLatency = f.histogram("chat_message_delivery_seconds",
		"From a message's send (its created_at) to its fan-out on this instance.",
		[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5})
	m.batchSize = f.histogram("chat_store_commit_batch_messages",
		"Messages stored per group-commit transaction.",
		[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256})
	m.batchTime = f.histogram("chat_store_commit_batch_seconds",
		"Time of one group-commit transaction.",
		[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5})
	m.reconnects = f.counter("chat_bus_reconnects_total", "Times the event bus resubscribed on a new connection after losing one.")
	m.jobs = f.counterVec("chat_jobs_total", "Job attempts ended, by kind and outcome (completed, retried, discarded, cancelled, snoozed).", "kind", "outcome")
	m.jobTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "chat_job_duration_seconds", Help: "Time one job attempt ran, by kind.",
		Buckets: []float64{.005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"kind"})
	reg.MustRegister(m.jobTime)
	m.queueDepth = f.gaugeVec("chat_job_queue_jobs", "Jobs in the queue by state (available, scheduled, retryable, running), counted periodically.", "state")
	m.httpTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "chat_http_request_duration_seconds", Help: "REST request latency by method and route template (history is GET /rooms/:id/messages).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	reg.MustRegister(m.httpTime)
	m.httpAnswers = f.counterVec("chat_http_responses_total", "REST responses by method, route template and status class (2xx, 4xx, …).", "method", "route", "code")

	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.routes.Store(&map[routeKey]*routeSeries{})
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry itself (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) SocketOpened(k ports.SocketKind) { m.sockets[k&1].Inc() }

func (m *Metrics) SocketClosed(k ports.SocketKind, slow bool) {
	m.sockets[k&1].Dec()
	if slow {
		m.slowClosed[k&1].Inc()
	}
}

func (m *Metrics) FrameReceived(typ string) {
	i := len(frameTypes) - 1 // other
	switch typ {
	case "message":
		i = 0
	case "typing":
		i = 1
	case "read":
		i = 2
	case "ping":
		i = 3
	case "resume":
		i = 4
	case "invalid":
		i = 5
	}
	m.frames[i].Inc()
}

func (m *Metrics) Delivered(k ports.EventKind, n int) {
	if n <= 0 {
		return
	}
	if int(k) >= len(m.deliveries) || m.deliveries[k] == nil {
		k = 0
	}
	m.deliveries[k].Add(float64(n))
}

func (m *Metrics) MessageLatency(d time.Duration) { m.msgLatency.Observe(max(d, 0).Seconds()) }

func (m *Metrics) Committed(n int, d time.Duration) {
	m.batchSize.Observe(float64(n))
	m.batchTime.Observe(d.Seconds())
}

func (m *Metrics) BusReconnected() { m.reconnects.Inc() }

func (m *Metrics) JobFinished(kind, outcome string, d time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobTime.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *Metrics) QueueDepth(state string, jobs int) {
	m.queueDepth.WithLabelValues(state).Set(float64(jobs))
}

type routeKey struct{ method, route string }

// routeSeries are one route's series, looked up once.
type routeSeries struct {
	time    prometheus.Observer
	answers [6]prometheus.Counter // by status / 100; 0: anything else
}

func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	k := routeKey{knownMethod(method), route}
	if k.route == "" {
		k.route = "unmatched"
	}
	s := (*m.routes.Load())[k]
	if s == nil {
		s = m.addRoute(k)
	}
	s.time.Observe(d.Seconds())
	c := status / 100
	if c < 1 || c > 5 {
		c = 0
	}
	s.answers[c].Inc()
}

// addRoute makes k's series and publishes a new map holding them.
func (m *Metrics) addRoute(k routeKey) *routeSeries {
	m.routeMu.Lock()
	defer m.routeMu.Unlock()
	old := *m.routes.Load()
	if s := old[k]; s != nil {
		return s
	}
	label := k
	if len(old) >= maxRoutes {
		label.route = "other"
		if s := old[label]; s != nil {
			return s
		}
	}
	s := &routeSeries{time: m.httpTime.WithLabelValues(label.method, label.route)}
	for i := range s.answers {
		class := "other"
		if i > 0 {
			class = strconv.Itoa(i) + "xx"
		}
		s.answers[i] = m.httpAnswers.WithLabelValues(label.method, label.route, class)
	}
	next := make(map[routeKey]*routeSeries, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[label] = s
	m.routes.Store(&next)
	return s
}

// knownMethod is method when it is a standard one, else "OTHER": a client
// cannot mint series with made-up methods.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// factory makes and registers series.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}
