package httpapi

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Registry is what /metrics serves, in the Prometheus text exposition format
// (version 0.0.4). It is written here rather than taken from client_golang:
// that package's init builds a default registry with Go and process
// collectors, which every docgate process paid for at start, `docgate
// verify` of a single file included, although only `serve` has metrics.
//
// A server owns its registry (there is no global one), so that two servers in
// one process (tests) do not collide. Its methods are safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	families map[string]func(b *bytes.Buffer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: map[string]func(*bytes.Buffer){}}
}

// register adds the family name, written by write; a name registered twice
// is a wiring bug, as with client_golang's MustRegister.
func (r *Registry) register(name string, write func(b *bytes.Buffer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[name]; dup {
		panic("httpapi: metric " + name + " registered twice")
	}
	r.families[name] = write
}

// CounterFunc registers a counter whose value read returns when scraped.
func (r *Registry) CounterFunc(name, help string, read func() float64) {
	r.register(name, func(b *bytes.Buffer) {
		writeHeader(b, name, help, "counter")
		writeSample(b, name, "", read())
	})
}

// GaugeFunc registers a gauge whose value read returns when scraped.
func (r *Registry) GaugeFunc(name, help string, read func() float64) {
	r.register(name, func(b *bytes.Buffer) {
		writeHeader(b, name, help, "gauge")
		writeSample(b, name, "", read())
	})
}

// RegisterRuntime adds the Go runtime's and the process's own gauges, read
// through runtime/metrics when scraped.
func (r *Registry) RegisterRuntime() {
	start := float64(time.Now().UnixNano()) / 1e9
	r.GaugeFunc("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", func() float64 { return start })
	r.register("go_info", func(b *bytes.Buffer) {
		writeHeader(b, "go_info", "Information about the Go environment.", "gauge")
		writeSample(b, "go_info", `version="`+escapeLabel(runtime.Version())+`"`, 1)
	})
	for _, m := range []struct{ name, help, kind, key string }{
		{"go_goroutines", "Number of goroutines that currently exist.", "gauge", "/sched/goroutines:goroutines"},
		{"go_gomaxprocs", "The value of GOMAXPROCS.", "gauge", "/sched/gomaxprocs:threads"},
		{"go_memstats_heap_alloc_bytes", "Bytes of heap memory occupied by live and not yet swept objects.", "gauge", "/memory/classes/heap/objects:bytes"},
		{"go_memstats_sys_bytes", "Bytes of memory the Go runtime has mapped.", "gauge", "/memory/classes/total:bytes"},
		{"go_gc_cycles_total", "Completed garbage collection cycles.", "counter", "/gc/cycles/total:gc-cycles"},
		{"go_gc_heap_goal_bytes", "Heap size at which the next garbage collection cycle ends.", "gauge", "/gc/heap/goal:bytes"},
	} {
		r.register(m.name, func(b *bytes.Buffer) {
			s := []rtmetrics.Sample{{Name: m.key}}
			rtmetrics.Read(s)
			var v float64
			switch s[0].Value.Kind() {
			case rtmetrics.KindUint64:
				v = float64(s[0].Value.Uint64())
			case rtmetrics.KindFloat64:
				v = s[0].Value.Float64()
			default:
				return // not offered by this runtime
			}
			writeHeader(b, m.name, m.help, m.kind)
			writeSample(b, m.name, "", v)
		})
	}
	r.register("process_resident_memory_bytes", func(b *bytes.Buffer) {
		// Linux only: elsewhere the family is left out.
		statm, err := os.ReadFile("/proc/self/statm")
		if err != nil {
			return
		}
		f := strings.Fields(string(statm))
		if len(f) < 2 {
			return
		}
		pages, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return
		}
		writeHeader(b, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge")
		writeSample(b, "process_resident_memory_bytes", "", float64(pages)*float64(os.Getpagesize()))
	})
}

// ServeHTTP writes every family, sorted by name.
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	writers := make([]func(*bytes.Buffer), 0, len(names))
	slices.Sort(names)
	for _, n := range names {
		writers = append(writers, r.families[n])
	}
	r.mu.Unlock()
	var b bytes.Buffer
	for _, write := range writers {
		write(&b)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
}

// durationBuckets are the upper bounds of the request latency histogram.
var durationBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// series is one method, route and status.
type series struct {
	count   uint64
	sum     float64
	buckets [len(durationBuckets)]uint64 // not cumulative; summed when written
}

type seriesKey struct {
	method, route string
	status        int
}

// metrics are the request metrics of one Server.
type metrics struct {
	registry *Registry
	mu       sync.Mutex
	series   map[seriesKey]*series
}

func newMetrics(reg *Registry) *metrics {
	if reg == nil {
		reg = NewRegistry()
		reg.RegisterRuntime()
	}
	m := &metrics{registry: reg, series: map[seriesKey]*series{}}
	reg.register("docgate_http_requests_total", m.writeCounts)
	reg.register("docgate_http_request_duration_seconds", m.writeDurations)
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	k := seriesKey{method, route, status}
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[k]
	if s == nil {
		s = &series{}
		m.series[k] = s
	}
	s.count++
	s.sum += sec
	if i, _ := slices.BinarySearch(durationBuckets[:], sec); i < len(durationBuckets) {
		s.buckets[i]++
	}
}

// snapshot copies the series, sorted by their labels.
func (m *metrics) snapshot() ([]seriesKey, []series) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]seriesKey, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		if c := strings.Compare(a.method, b.method); c != 0 {
			return c
		}
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return strings.Compare(strconv.Itoa(a.status), strconv.Itoa(b.status))
	})
	vals := make([]series, len(keys))
	for i, k := range keys {
		vals[i] = *m.series[k]
	}
	return keys, vals
}

func (k seriesKey) labels() string {
	return fmt.Sprintf(`method="%s",route="%s",status="%d"`, escapeLabel(k.method), escapeLabel(k.route), k.status)
}

func (m *metrics) writeCounts(b *bytes.Buffer) {
	keys, vals := m.snapshot()
	if len(keys) == 0 {
		return
	}
	const name = "docgate_http_requests_total"
	writeHeader(b, name, "HTTP requests by method, route pattern and status.", "counter")
	for i, k := range keys {
		writeSample(b, name, k.labels(), float64(vals[i].count))
	}
}

func (m *metrics) writeDurations(b *bytes.Buffer) {
	keys, vals := m.snapshot()
	if len(keys) == 0 {
		return
	}
	const name = "docgate_http_request_duration_seconds"
	writeHeader(b, name, "HTTP request latency by method, route pattern and status.", "histogram")
	for i, k := range keys {
		l := k.labels()
		var cum uint64
		for j, le := range durationBuckets {
			cum += vals[i].buckets[j]
			writeSample(b, name+"_bucket", l+`,le="`+formatFloat(le)+`"`, float64(cum))
		}
		writeSample(b, name+"_bucket", l+`,le="+Inf"`, float64(vals[i].count))
		writeSample(b, name+"_sum", l, vals[i].sum)
		writeSample(b, name+"_count", l, float64(vals[i].count))
	}
}

func (m *metrics) handler() http.Handler { return m.registry }

func writeHeader(b *bytes.Buffer, name, help, kind string) {
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

func writeSample(b *bytes.Buffer, name, labels string, v float64) {
	b.WriteString(name)
	if labels != "" {
		b.WriteByte('{')
		b.WriteString(labels)
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
