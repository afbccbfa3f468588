package bench

import (
	"bytes"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clients is the number of concurrent connections the targets are stated
// for; .ci/bench gives wrk the same number.
const clients = 32

// newClient returns a client that keeps a connection per goroutine alive
// and never goes through a proxy: every request stays on loopback.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        2 * clients,
		MaxIdleConnsPerHost: 2 * clients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// benchCall checks one answer of f, then times b.N calls from at least
// clients goroutines, each with its own connection and at most one request
// in flight. Besides ns/op it reports throughput and latency percentiles.
func benchCall(b *testing.B, f form) {
	c := newClient()
	defer c.CloseIdleConnections()
	f.verify(b, c)

	// RunParallel starts parallelism×GOMAXPROCS goroutines.
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	var (
		goroutines atomic.Int64
		mu         sync.Mutex
		latencies  = make([]time.Duration, 0, b.N)
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// The goroutine's number in the high bits keeps request ids
		// unique across goroutines.
		id := goroutines.Add(1) << 32
		header := f.header.Clone()
		var body []byte
		var buf bytes.Buffer
		own := make([]time.Duration, 0, 1024)
		for pb.Next() {
			id++
			body = f.appendBody(body[:0], id)
			start := time.Now()
			status, err := f.post(c, header, body, &buf)
			own = append(own, time.Since(start))
			if err != nil {
				b.Errorf("tools/call: %v", err)
				return
			}
			if status != http.StatusOK || !bytes.Contains(buf.Bytes(), wantTextBytes) {
				b.Errorf("tools/call: status %d, body %s", status, buf.Bytes())
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, own...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	slices.Sort(latencies)
	b.ReportMetric(percentile(latencies, 50), "p50-us")
	b.ReportMetric(percentile(latencies, 99), "p99-us")
}

// percentile returns the p-th percentile of sorted durations, in
// microseconds.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100 // nearest rank
	return float64(sorted[max(i, 1)-1]) / float64(time.Microsecond)
}
