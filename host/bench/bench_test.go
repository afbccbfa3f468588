// Package bench measures Toolgate's tools/call path, through the real
// toolgate binary and its echo plugin subprocess, against the same tool
// served in process by the official Go SDK (package baseline), and what
// checking a bearer token on every request adds to it.
//
// It holds benchmarks only: `go test ./...` runs none of them and builds
// nothing. Run them with
//
//	go test -run '^$' -bench . ./host/bench
//
// and see .ci/bench for the load run with wrk that states the targets.
package bench

import (
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/toolgate/toolgate/host/bench/baseline"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// BenchmarkToolsCallEcho calls the echo tool from 32 connections at once:
// Toolgate in both protocol eras, each with token checks off and on (the
// "-auth" rows, a host of their own), and the go-sdk baseline. An era's
// two rows run one after the other, so that their ratio, the cost of
// authorization, sees the same machine load.
func BenchmarkToolsCallEcho(b *testing.B) {
	hosts := []struct {
		suffix string
		tg     *lazyToolgate
	}{
		{"", &lazyToolgate{}},
		{"-auth", &lazyToolgate{auth: true}},
	}
	for _, h := range hosts {
		defer h.tg.close()
	}
	eras := []struct {
		name string
		form func(s *server) form
	}{
		{"toolgate-2025-11-25", func(s *server) form { return sessionForm(s.url, s.session) }},
		{"toolgate-2026-07-28", func(s *server) form { return statelessForm(s.url) }},
	}
	for _, era := range eras {
		for _, h := range hosts {
			b.Run(era.name+h.suffix, func(b *testing.B) {
				s := h.tg.get(b)
				benchCall(b, era.form(s).withToken(s.token))
			})
		}
	}
	b.Run("baseline-go-sdk", func(b *testing.B) {
		base := httptest.NewServer(baseline.Handler())
		defer base.Close()
		benchCall(b, plainForm(base.URL))
	})
}

// restAfter is how long the host idles after its first call before its
// memory is read.
const restAfter = 2 * time.Second

// BenchmarkHostRSSAtRest reports the toolgate host's resident memory once
// it has started, served one call and idled, as host-rss-MiB (the target
// is under 40 MiB), and its plugins' as plugin-rss-MiB. It is a metric to
// watch, not an assertion: the timed loop only reads the figure again.
func BenchmarkHostRSSAtRest(b *testing.B) {
	tg := startToolgate(b)
	c := newClient()
	sessionForm(tg.url, tg.session).verify(b, c)
	c.CloseIdleConnections()
	time.Sleep(restAfter)

	host, err := rssMiB(tg.pid)
	if err != nil {
		b.Skipf("skipping: %v", err)
	}
	var plugins float64
	pids, err := children(tg.pid)
	if err != nil {
		b.Fatal(err)
	}
	for _, pid := range pids {
		rss, err := rssMiB(pid)
		if err != nil {
			b.Fatal(err)
		}
		plugins += rss
	}
	for b.Loop() {
		if _, err := rssMiB(tg.pid); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(host, "host-rss-MiB")
	b.ReportMetric(plugins, "plugin-rss-MiB")
}
