//go:build unix

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The end-to-end monitoring test: a real Prometheus (Debian's prometheus
// package: /usr/bin/prometheus and /usr/bin/promtool) scrapes a real host
// while the test drives traffic, and the series it stored must say exactly
// what happened. It also checks the shipped Grafana dashboard against what
// the host exports and what Prometheus accepts.
//
// Two Prometheus servers scrape the host: one as Prometheus runs by default,
// ingesting the classic histogram series (_bucket, _sum, _count), and one
// with native histograms on. With the feature on, Prometheus ingests a
// histogram that carries native buckets as a native histogram only, unless
// a scrape option keeps the classic series too (scrape_classic_histograms
// from 2.45, always_scrape_classic_histograms from 3.0); Debian 12 ships
// 2.42, which has no such option. So one server per form, and the
// dashboard must work with either.

// dashboardPath is the shipped Grafana dashboard, relative to the module
// root.
const dashboardPath = "host/metrics/dashboard/toolgate.json"

// missingPrometheus is the advice when the binaries are not installed.
const missingPrometheus = "install Debian's prometheus package (apt-get install prometheus); .ci/test does"

func TestPrometheus(t *testing.T) {
	promBin := needBinary(t, "prometheus")
	promtoolBin := needBinary(t, "promtool")
	if help, _ := exec.Command(promBin, "--help").CombinedOutput(); !bytes.Contains(help, []byte("native-histograms")) {
		t.Fatalf("%s --help does not list the native-histograms feature flag; this test needs Prometheus 2.40 or later: %s",
			promBin, missingPrometheus)
	}

	// An external issuer whose keys the host fetches, so the key fetch
	// counter has a series; the local issuer signs the tokens.
	jwks := startJWKS(t)
	h := startHost(t, authHostConfig(`
[[auth.issuers]]
issuer = `+tomlString(jwks.URL)+`
jwks_url = `+tomlString(jwks.URL+"/jwks.json")+`

[[plugins]]
name = "echo"
path = "@BIN@/echo"
`+probePlugin("")+`
[tools.echo]
scopes = ["tools:echo"]
`))

	classic := startPrometheus(t, promBin, promtoolBin, "classic", h.addr, false)
	native := startPrometheus(t, promBin, promtoolBin, "native", h.addr, true)
	for _, p := range []*promServer{classic, native} {
		p.waitTargetUp(t, 30*time.Second)
	}

	tr := driveTraffic(t, h)

	// Wait for a scrape that began after the traffic ended: from then on
	// the newest samples hold all of it.
	for _, p := range []*promServer{classic, native} {
		p.waitScrapeAfter(t, tr.end, 30*time.Second)
	}

	t.Run("classic series", func(t *testing.T) {
		checkCounts(t, classic, tr, func(sel string) string {
			return "sum(mcp_server_operation_duration_seconds_count{" + sel + "})"
		}, "sum(mcp_server_session_duration_seconds_count)")
		// The +Inf bucket agrees with the count.
		classic.wantValue(t, `sum(mcp_server_operation_duration_seconds_bucket{gen_ai_tool_name="echo",error_type="",le="+Inf"})`, float64(tr.echoOK))
		classic.wantValue(t, `count(count by (le) (mcp_server_operation_duration_seconds_bucket))`, 19) // 18 bounds and +Inf
	})
	t.Run("native histograms", func(t *testing.T) {
		checkCounts(t, native, tr, func(sel string) string {
			return "histogram_count(sum(mcp_server_operation_duration_seconds{" + sel + "}))"
		}, "histogram_count(sum(mcp_server_session_duration_seconds))")
		native.wantValue(t, `histogram_sum(sum(mcp_server_operation_duration_seconds{gen_ai_tool_name="echo",error_type=""})) > 0`, -1)
	})
	for _, p := range []*promServer{classic, native} {
		t.Run("other series "+p.name, func(t *testing.T) { checkOtherSeries(t, p, h, jwks, tr) })
	}

	exposition := scrapeText(t, h)
	t.Run("dashboard", func(t *testing.T) { checkDashboard(t, exposition, classic, native) })
	t.Run("promtool check metrics", func(t *testing.T) { checkPromtool(t, promtoolBin, exposition) })
}

// needBinary finds a binary on PATH or fails the test saying how to get it.
func needBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: %s", name, missingPrometheus)
	}
	return path
}

// promTraffic is what driveTraffic did, for the assertions.
type promTraffic struct {
	echoOK, echoBadArgs int // echo calls that succeeded, and with bad arguments
	failCalls           int // calls of probe's fail tool (a tool error)
	unknownTool         int // calls of a tool that does not exist
	callerOK            int // successful calls after the plugin restarted
	callerFailed        int // calls refused while it restarted
	noToken             int // requests without a token (401)
	forbidden           int // a token without the tool's scope (403)
	withToken           int // requests that carried a valid token with the scopes they needed (not the 403)
	exitCode            int // the JSON-RPC error the crashing call got
	end                 time.Time
}

func (tr *promTraffic) toolCalls() int {
	return tr.echoOK + tr.echoBadArgs + tr.failCalls + tr.unknownTool + 1 /* exit */ + tr.callerOK + tr.callerFailed
}

// driveTraffic makes the requests whose traces the test then looks for.
func driveTraffic(t *testing.T, h *hostProc) *promTraffic {
	t.Helper()
	tr := &promTraffic{echoOK: 5, echoBadArgs: 3, failCalls: 1, unknownTool: 1, noToken: 4, forbidden: 1}
	alice := "Bearer " + mintToken(t, h, "alice", "tools:echo")

	r := h.post(t, headers{"Authorization": alice}, initializeBody(1, sessionVersion))
	tr.withToken++
	wantResult(t, r)
	sid := r.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatalf("initialize: no Mcp-Session-Id; body %s", r.Body)
	}
	in := headers{"Authorization": alice, "Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}
	if r := h.post(t, in, rpcBody(nil, "notifications/initialized", nil)); r.Status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: got status %d, want 202; body %s", r.Status, r.Body)
	}
	tr.withToken++
	call := func(name string, args any) *reply {
		t.Helper()
		tr.withToken++
		return h.post(t, in, rpcBody("call-"+name, "tools/call", map[string]any{"name": name, "arguments": args}))
	}
	result := func(r *reply) *toolResult {
		t.Helper()
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		return &res
	}

	for i := range tr.echoOK {
		if res := result(call("echo", map[string]any{"message": fmt.Sprint("hello ", i)})); res.IsError {
			t.Fatalf("echo: %s", res.text())
		}
	}
	for range tr.echoBadArgs {
		if res := result(call("echo", map[string]any{"message": 42})); !res.IsError || !strings.Contains(res.text(), "Invalid arguments") {
			t.Fatalf("echo with a number for message: got isError %v %q, want an invalid arguments tool error", res.IsError, res.text())
		}
	}
	for range tr.failCalls {
		if res := result(call("fail", map[string]any{"message": "on purpose"})); !res.IsError {
			t.Fatalf("fail: got success %q, want isError", res.text())
		}
	}
	for range tr.unknownTool {
		wantError(t, call("no_such_tool", map[string]any{}), http.StatusOK, -32602)
	}

	// Crash the probe plugin in the middle of a call, then call it again
	// once the host has restarted it.
	r = call("exit", map[string]any{})
	if r.Status != http.StatusOK {
		t.Fatalf("exit: got status %d; body %s", r.Status, r.Body)
	}
	if m := wantJSONRPC(t, r); m.Error != nil {
		tr.exitCode = m.Error.Code
	} else {
		t.Fatalf("exit: got a result, want an error for the call that lost its plugin: %s", r.Body)
	}
	if _, err := h.log.waitFor(15*time.Second, h.exited, func(r logRecord) bool {
		return r.msg() == "plugin restarted" && r["plugin"] == "probe"
	}); err != nil {
		t.Fatalf("the probe plugin was not restarted: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := wantJSONRPC(t, call("caller", map[string]any{}))
		if m.Error == nil {
			tr.callerOK++
			break
		}
		// Between the log line and taking the new process into service,
		// a call is refused as unavailable.
		tr.callerFailed++
		if time.Now().After(deadline) {
			t.Fatalf("the restarted probe plugin did not serve within 10s: %d %s", m.Error.Code, m.Error.Message)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Ending the session records its duration.
	if r := h.send(t, http.MethodDelete, in, ""); r.Status != http.StatusOK {
		t.Fatalf("DELETE: got status %d, want 200; body %s", r.Status, r.Body)
	}
	tr.withToken++

	for i := range tr.noToken {
		r := h.post(t, nil, rpcBody(i, "ping", nil))
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("no token: got status %d, want 401; body %s", r.Status, r.Body)
		}
	}
	bob := "Bearer " + mintToken(t, h, "bob", "tools:other")
	for range tr.forbidden {
		hdr := modernHeaders("tools/call", "echo")
		hdr["Authorization"] = bob
		r := h.post(t, hdr, modernBody(7, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "x"}}))
		wantError(t, r, http.StatusForbidden, -32005)
	}
	tr.end = time.Now()
	return tr
}

// checkCounts checks the operation and session histograms' counts. count
// turns a label selector into an expression for the number of observations
// of the matching series; sessions is the number of ended sessions.
func checkCounts(t *testing.T, p *promServer, tr *promTraffic, count func(sel string) string, sessions string) {
	for _, c := range []struct {
		sel  string
		want int
	}{
		{`mcp_method_name="tools/call",gen_ai_tool_name="echo",error_type=""`, tr.echoOK},
		{`mcp_method_name="tools/call",gen_ai_tool_name="echo",error_type="tool_error"`, tr.echoBadArgs},
		{`gen_ai_tool_name="fail",error_type="tool_error"`, tr.failCalls},
		{`mcp_method_name="tools/call",gen_ai_tool_name="",error_type="-32602"`, tr.unknownTool},
		{`gen_ai_tool_name="exit",error_type="` + strconv.Itoa(tr.exitCode) + `"`, 1},
		{`gen_ai_tool_name="exit",error_type=""`, 0},
		{`gen_ai_tool_name="caller",error_type=""`, tr.callerOK},
		{`gen_ai_tool_name="caller",error_type!=""`, tr.callerFailed},
		{`mcp_method_name="tools/call"`, tr.toolCalls()},
		{`mcp_method_name="initialize",mcp_protocol_version="` + sessionVersion + `",error_type=""`, 1},
		// Only the ones above: refusals never reach the dispatcher.
		{``, tr.toolCalls() + 1},
	} {
		p.wantValue(t, "("+count(c.sel)+") or vector(0)", float64(c.want))
	}
	p.wantValue(t, sessions, 1)
}

// checkOtherSeries checks the counters and gauges, the same in both servers.
func checkOtherSeries(t *testing.T, p *promServer, h *hostProc, jwks *jwksServer, tr *promTraffic) {
	p.wantValue(t, `up{job="toolgate"}`, 1)
	for _, c := range []struct {
		expr string
		want float64
	}{
		{`toolgate_auth_decisions_total{result="refused",reason="no_token"}`, float64(tr.noToken)},
		{`toolgate_auth_decisions_total{result="refused",reason="insufficient_scope"}`, float64(tr.forbidden)},
		{`sum(toolgate_auth_decisions_total{result="refused"})`, float64(tr.noToken + tr.forbidden)},
		// Each request is one decision: a 403 carried a valid token, but
		// counts as refused (insufficient_scope) only.
		{`toolgate_auth_decisions_total{result="allowed",reason="valid_token"}`, float64(tr.withToken)},
		{`toolgate_plugin_restarts_total{plugin="probe"}`, 1},
		{`toolgate_plugin_restarts_total{plugin="echo"}`, 0},
		{`toolgate_plugin_up{plugin="probe"}`, 1},
		{`toolgate_plugin_up{plugin="echo"}`, 1},
		{`sum(toolgate_plugin_circuit_open)`, 0},
		{`sum(toolgate_plugin_in_flight)`, 0},
		{`count(toolgate_plugin_up)`, 2},
		{`toolgate_auth_key_fetches_total{issuer="` + jwks.URL + `",result="ok"}`, float64(jwks.fetches.Load())},
		{`count(toolgate_auth_key_fetches_total{result!="ok"}) or vector(0)`, 0},
		{`toolgate_build_info`, 1},
	} {
		p.wantValue(t, c.expr, c.want)
	}
	if n := jwks.fetches.Load(); n < 1 {
		t.Errorf("the host never fetched the external issuer's keys")
	}
	info := p.query(t, `toolgate_build_info`)
	if len(info) != 1 {
		t.Fatalf("toolgate_build_info: got %d series, want 1", len(info))
	}
	if m := info[0].Metric; m["version"] == "" || m["goversion"] != runtime.Version() || m["instance"] != h.addr {
		t.Errorf("toolgate_build_info labels %v: want a version, goversion %s and instance %s", m, runtime.Version(), h.addr)
	}
}

// checkDashboard checks that every metric the dashboard queries is one the
// host exports and has series in Prometheus, that every Toolgate metric is
// on the dashboard, and that both Prometheus servers run every query of the
// dashboard and get an answer.
func checkDashboard(t *testing.T, exposition string, servers ...*promServer) {
	raw, err := os.ReadFile(filepath.Join(srcRoot, dashboardPath))
	if err != nil {
		t.Fatal(err)
	}
	queries, variables, err := dashboardQueries(raw)
	if err != nil {
		t.Fatal(err)
	}
	families := expositionFamilies(exposition)

	used := map[string]bool{}
	for _, q := range append(slices.Clone(queries), variables...) {
		names, err := promqlMetricNames(q.expr)
		if err != nil {
			t.Errorf("%s: %v in\n%s", q.where, err, q.expr)
			continue
		}
		if len(names) == 0 && !strings.HasPrefix(q.expr, "label_values(") {
			t.Errorf("%s queries no metric:\n%s", q.where, q.expr)
		}
		for _, n := range names {
			used[n] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(used)) {
		if !promExported(name, families) {
			t.Errorf("the dashboard queries %s, which the host does not export", name)
		}
		found := false
		for _, p := range servers {
			if v := p.query(t, `count({__name__="`+name+`"})`); len(v) == 1 && v[0].value() > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("the dashboard queries %s, and no Prometheus has a series of it", name)
		}
	}
	for name, typ := range families {
		if !strings.HasPrefix(name, "toolgate_") && !strings.HasPrefix(name, "mcp_") {
			continue
		}
		if !used[name] && !used[name+"_count"] && !used[name+"_bucket"] {
			t.Errorf("the host exports %s (%s), which no dashboard panel shows: add a panel for it to %s", name, typ, dashboardPath)
		}
	}

	// Prometheus runs every panel's query, with the variables at "All",
	// and every one has data: the dashboard works whichever histogram form
	// the Prometheus ingests.
	// A rate needs two samples of a series, so the newest series may
	// take a scrape or two to show; the wait is shared by all queries.
	for _, p := range servers {
		pending := slices.Clone(queries)
		var failures []string
		_ = p.eventually(30*time.Second, func() error {
			failures = nil
			var still []dashboardQuery
			for _, q := range pending {
				expr := expandVariables(q.expr)
				v, err := p.tryQuery(expr)
				if err == nil && len(v) == 0 {
					err = errors.New("no data")
				}
				if err != nil {
					still = append(still, q)
					failures = append(failures, fmt.Sprintf("%s: %v\n%s", q.where, err, expr))
				}
			}
			pending = still
			if len(pending) > 0 {
				return errors.New("some queries have no data")
			}
			return nil
		})
		for _, f := range failures {
			t.Errorf("%s Prometheus, %s", p.name, f)
		}
		for _, q := range variables {
			sel, label, ok := labelValuesArgs(q.expr)
			if !ok {
				t.Errorf("%s: want label_values(selector, label), got %s", q.where, q.expr)
				continue
			}
			values, err := p.labelValues(expandVariables(sel), label)
			if err != nil || len(values) == 0 {
				t.Errorf("%s Prometheus, %s: got values %v, error %v for %s", p.name, q.where, values, err, q.expr)
			}
			if label == "gen_ai_tool_name" && !slices.Contains(values, "echo") {
				t.Errorf("%s Prometheus, %s: got %v, want echo among them", p.name, q.where, values)
			}
			if label == "plugin" && !slices.Equal(values, []string{"echo", "probe"}) {
				t.Errorf("%s Prometheus, %s: got %v, want [echo probe]", p.name, q.where, values)
			}
		}
	}
}

// checkPromtool runs promtool's linter on the exposition in the text format
// Prometheus falls back to. It prints one "name: problem" line per lint
// finding and exits 1, or "error while linting" when it cannot parse the
// input. Parse errors and findings on Toolgate's own metrics fail the test;
// a finding on the Go and process collectors' metrics, which Toolgate does
// not name, is only logged.
func checkPromtool(t *testing.T, promtool, exposition string) {
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running promtool: %v", err)
	}
	text := strings.TrimSpace(out.String())
	if text == "" {
		if err != nil {
			t.Fatalf("promtool check metrics failed silently: %v", err)
		}
		return
	}
	t.Logf("promtool check metrics said:\n%s", text)
	for _, line := range strings.Split(text, "\n") {
		name, _, ok := strings.Cut(line, ":")
		foreign := ok && (strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_"))
		if !foreign {
			t.Errorf("promtool check metrics: %s", line)
		}
	}
}

// promServer is a running Prometheus.
type promServer struct {
	name   string // classic or native
	url    string
	target string
	log    *logBuffer
	exited chan struct{}
}

// startPrometheus starts Prometheus on a free loopback port, with its own
// data directory, scraping target every second; it is stopped when the
// test ends.
func startPrometheus(t *testing.T, bin, promtool, name, target string, native bool) *promServer {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, bytes.ReplaceAll(tmpl, []byte("@TARGET@"), []byte(target)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	// The port is picked by the kernel, freed and handed to Prometheus;
	// another process may take it in between, so a start that finds it
	// taken is retried on another.
	for attempt := 1; ; attempt++ {
		p, err := launchPrometheus(t, bin, name, cfg, filepath.Join(dir, fmt.Sprintf("data-%d", attempt)), target, native)
		if err == nil {
			return p
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("starting the %s Prometheus: %v", name, err)
		}
	}
}

func launchPrometheus(t *testing.T, bin, name, cfg, data, target string, native bool) (*promServer, error) {
	t.Helper()
	addr := freeLoopbackAddr(t)
	args := []string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + data,
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}
	if native {
		args = append(args, "--enable-feature=native-histograms")
	}
	p := &promServer{name: name, url: "http://" + addr, target: target, log: newLogBuffer(), exited: make(chan struct{})}
	cmd := exec.Command(bin, args...)
	cmd.Dir = filepath.Dir(cfg)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
			t.Errorf("the %s Prometheus did not exit within 15s of SIGTERM; killed it", name)
		}
		if t.Failed() {
			t.Logf("the %s Prometheus's log:\n%s", name, p.log.tail(40))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("prometheus %s exited:\n%s", strings.Join(args, " "), p.log.tail(20))
		default:
		}
		if resp, err := httpClient.Get(p.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("prometheus on %s was not ready within 30s:\n%s", addr, p.log.tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTargetUp waits until Prometheus has scraped the host successfully.
func (p *promServer) waitTargetUp(t *testing.T, timeout time.Duration) {
	t.Helper()
	err := p.eventually(timeout, func() error {
		var targets struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		}
		if err := p.api("/api/v1/targets", nil, &targets); err != nil {
			return err
		}
		if len(targets.ActiveTargets) != 1 {
			return fmt.Errorf("got %d targets, want 1", len(targets.ActiveTargets))
		}
		tg := targets.ActiveTargets[0]
		if want := "http://" + p.target + "/metrics"; tg.ScrapeURL != want {
			return fmt.Errorf("the target is %s, want %s", tg.ScrapeURL, want)
		}
		if tg.Health != "up" {
			return fmt.Errorf("the target is %q: %s", tg.Health, tg.LastError)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the %s Prometheus does not scrape the host: %v", p.name, err)
	}
}

// waitScrapeAfter waits until Prometheus holds a scrape that began after t0.
func (p *promServer) waitScrapeAfter(t *testing.T, t0 time.Time, timeout time.Duration) {
	t.Helper()
	after := float64(t0.UnixMilli()) / 1000
	err := p.eventually(timeout, func() error {
		v, err := p.tryQuery(`timestamp(up{job="toolgate"})`)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].value() <= after {
			return fmt.Errorf("no scrape after %.3f yet: %v", after, v)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the %s Prometheus: %v", p.name, err)
	}
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric    map[string]string `json:"metric"`
	Value     []json.RawMessage `json:"value"`     // [time, "value"]
	Histogram []json.RawMessage `json:"histogram"` // [time, {...}], a native histogram
}

// value is the sample's float value; NaN for a histogram sample.
func (s promSample) value() float64 {
	if len(s.Value) != 2 {
		return math.NaN()
	}
	var str string
	if json.Unmarshal(s.Value[1], &str) != nil {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// api GETs a Prometheus HTTP API path and decodes its data.
func (p *promServer) api(path string, params url.Values, data any) error {
	u := p.url + path
	if params != nil {
		u += "?" + params.Encode()
	}
	resp, err := httpClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: status %d, decoding: %w", path, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, body.ErrorType, body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// tryQuery runs an instant query at the current time.
func (p *promServer) tryQuery(expr string) ([]promSample, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	if err := p.api("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("got a %s, want a vector", data.ResultType)
	}
	return data.Result, nil
}

func (p *promServer) query(t *testing.T, expr string) []promSample {
	t.Helper()
	v, err := p.tryQuery(expr)
	if err != nil {
		t.Fatalf("%s Prometheus: %s: %v", p.name, expr, err)
	}
	return v
}

// wantValue checks that expr gives one sample of value want; a negative
// want only asks for one sample.
func (p *promServer) wantValue(t *testing.T, expr string, want float64) {
	t.Helper()
	v := p.query(t, expr)
	switch {
	case len(v) != 1:
		t.Errorf("%s Prometheus: %s: got %d series %v, want one", p.name, expr, len(v), v)
	case want >= 0 && v[0].value() != want:
		t.Errorf("%s Prometheus: %s = %v, want %v", p.name, expr, v[0].value(), want)
	}
}

// labelValues returns the values of label on the series matching sel, as
// Grafana's label_values does.
func (p *promServer) labelValues(sel, label string) ([]string, error) {
	var values []string
	err := p.api("/api/v1/label/"+url.PathEscape(label)+"/values", url.Values{"match[]": {sel}}, &values)
	slices.Sort(values)
	return values, err
}

// eventually retries f until it succeeds or timeout passes, and returns
// its last error.
func (p *promServer) eventually(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w (Prometheus exited)", err)
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scrapeText reads the host's /metrics as a scraper that asks for nothing
// in particular: in the Prometheus text format.
func scrapeText(t *testing.T, h *hostProc) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+h.addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return b.String()
}

// expositionFamilies maps each metric family of a text exposition to its
// type.
func expositionFamilies(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

// promExported reports whether a series name is exported: as a family of its
// own (a histogram's own name being its native form), or as the _bucket,
// _sum or _count series of a classic histogram or summary.
func promExported(name string, families map[string]string) bool {
	if _, ok := families[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			switch families[base] {
			case "histogram":
				return true
			case "summary":
				return suffix != "_bucket"
			}
		}
	}
	return false
}

// dashboardQuery is one PromQL expression of the dashboard and where it is.
type dashboardQuery struct {
	where, expr string
}

// dashboardQueries returns the expressions of every panel target (rows'
// panels included) and of every query variable.
func dashboardQueries(raw []byte) (panels, variables []dashboardQuery, err error) {
	type panel struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
		Panels json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels     json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dashboardPath, err)
	}
	var walk func(json.RawMessage) error
	walk = func(raw json.RawMessage) error {
		if len(raw) == 0 {
			return nil
		}
		var ps []panel
		if err := json.Unmarshal(raw, &ps); err != nil {
			return err
		}
		for _, p := range ps {
			for _, tg := range p.Targets {
				panels = append(panels, dashboardQuery{fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr})
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dashboardPath, err)
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		variables = append(variables, dashboardQuery{"variable " + v.Name, q})
	}
	if len(panels) == 0 {
		return nil, nil, fmt.Errorf("%s has no panel queries", dashboardPath)
	}
	return panels, variables, nil
}

var grafanaVariableRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}?|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]`)

// expandVariables gives the dashboard's variables the values Grafana gives
// them at "All" (allValue ".+") and its interval variables a duration.
func expandVariables(expr string) string {
	return grafanaVariableRef.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.Contains(v, "__") {
			return "5m" // $__rate_interval, $__interval, $__range
		}
		return ".+"
	})
}

// labelValuesArgs splits Grafana's label_values(selector, label).
func labelValuesArgs(q string) (sel, label string, ok bool) {
	inner, found := strings.CutPrefix(strings.TrimSpace(q), "label_values(")
	if !found || !strings.HasSuffix(inner, ")") {
		return "", "", false
	}
	inner = strings.TrimSuffix(inner, ")")
	i := promLastComma(inner)
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:]), true
}

// promLastComma returns the index of the last comma outside brackets
// and strings, or -1.
func promLastComma(s string) int {
	depth, last := 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '`':
			i = promSkipString(s, i)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				last = i
			}
		}
	}
	return last
}

// promSkipString returns the index of the quote closing the string that
// starts at s[i].
func promSkipString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j
		}
	}
	return len(s)
}

// PromQL's words that are not metric names: functions, aggregations and
// keywords.
var (
	promqlFunctions = promWordSet(
		"abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
		"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
		"count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
		"delta", "deriv", "double_exponential_smoothing", "exp", "floor", "histogram_avg",
		"histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
		"histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "info",
		"irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
		"mad_over_time", "max_over_time", "min_over_time", "minute", "month", "pi",
		"predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
		"round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc",
		"sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan",
		"tanh", "time", "timestamp", "vector", "year",
	)
	promqlAggregations = promWordSet("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
		"count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio")
	// promqlGrouping words are followed by a list of label names.
	promqlGrouping = promWordSet("by", "without", "on", "ignoring", "group_left", "group_right")
	promqlKeywords = promWordSet("and", "or", "unless", "atan2", "bool", "offset", "start", "end", "inf", "nan")
)

func promWordSet(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

var promMetricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

func promIdentStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func promIdent(c byte) bool { return promIdentStart(c) || '0' <= c && c <= '9' }

// promqlMetricNames returns the metric names a PromQL expression (or a
// Grafana label_values query) reads: bare identifiers that are not
// functions, aggregations, keywords or label names, and the values of
// __name__ matchers. A __name__ regex must be a plain alternation of names,
// else it is an error: the test could not tell what it matches.
func promqlMetricNames(expr string) ([]string, error) {
	if strings.HasPrefix(strings.TrimSpace(expr), "label_values(") {
		sel, _, ok := labelValuesArgs(expr)
		if !ok {
			return nil, nil // label_values(label) reads no metric
		}
		expr = sel
	}
	names := map[string]bool{}
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '`':
			i = promSkipString(s, i) + 1
		case c == '$': // a Grafana variable: $name or ${name}
			i++
			if i < len(s) && s[i] == '{' {
				for i < len(s) && s[i] != '}' {
					i++
				}
				i++
			} else {
				for i < len(s) && promIdent(s[i]) {
					i++
				}
			}
		case c == '[': // a range, a subquery's range, or [[variable]]
			j, err := promClosing(s, i)
			if err != nil {
				return nil, err
			}
			i = j + 1
		case c == '{':
			j, err := promClosing(s, i)
			if err != nil {
				return nil, err
			}
			if err := promNameMatchers(s[i+1:j], names); err != nil {
				return nil, err
			}
			i = j + 1
		case '0' <= c && c <= '9' || c == '.' && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9':
			for i < len(s) && (promIdent(s[i]) || s[i] == '.') {
				i++
			}
		case promIdentStart(c):
			j := i
			for j < len(s) && promIdent(s[j]) {
				j++
			}
			word := s[i:j]
			i = j
			next := i
			for next < len(s) && strings.ContainsRune(" \t\n\r", rune(s[next])) {
				next++
			}
			switch {
			case promqlGrouping[word]:
				if next < len(s) && s[next] == '(' {
					k, err := promClosing(s, next)
					if err != nil {
						return nil, err
					}
					i = k + 1
				}
			case promqlKeywords[word], promqlFunctions[word], promqlAggregations[word]:
			case next < len(s) && s[next] == '(':
				return nil, fmt.Errorf("%s( is no PromQL function", word)
			default:
				names[word] = true
			}
		default:
			i++
		}
	}
	return slices.Sorted(maps.Keys(names)), nil
}

// promClosing returns the index of the bracket closing the one at s[i].
func promClosing(s string, i int) (int, error) {
	open := s[i]
	shut := map[byte]byte{'(': ')', '[': ']', '{': '}'}[open]
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"', '\'', '`':
			j = promSkipString(s, j)
		case open:
			depth++
		case shut:
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unclosed %q at offset %d", open, i)
}

var promMatcher = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`" + `)\s*(?:,|$)`)

// promNameMatchers reads the label matchers between braces and adds the
// metric names that __name__ matchers select.
func promNameMatchers(s string, names map[string]bool) error {
	for strings.TrimSpace(s) != "" {
		m := promMatcher.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("cannot read the label matchers {%s}", s)
		}
		s = s[len(m[0]):]
		if m[1] != "__name__" {
			continue
		}
		value := m[3][1 : len(m[3])-1]
		switch m[2] {
		case "=":
		case "=~":
		default:
			return fmt.Errorf("a negative __name__ promMatcher %s%s%s selects metrics the test cannot list", m[1], m[2], m[3])
		}
		for _, n := range strings.Split(value, "|") {
			if !promMetricName.MatchString(n) {
				return fmt.Errorf("__name__%s%s is not a list of metric names", m[2], m[3])
			}
			names[n] = true
		}
	}
	return nil
}

// TestPrometheusMetricNames checks the reader of metric names the
// dashboard test relies on.
func TestPrometheusMetricNames(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
		err  bool
	}{
		{expr: `sum by (le, gen_ai_tool_name) (rate(foo_bucket{a="b", c=~"$x"}[5m]))`, want: []string{"foo_bucket"}},
		{expr: "(histogram_quantile(0.5, sum by (x) (rate(foo{}[5m]))))\nor\n(bar)", want: []string{"bar", "foo"}},
		{expr: `a / on (x) group_left (y) b offset 5m`, want: []string{"a", "b"}},
		{expr: `sum without (instance) (x) > bool 1e3`, want: []string{"x"}},
		{expr: `max(toolgate_build_info) by (version, goversion)`, want: []string{"toolgate_build_info"}},
		{expr: `topk(5, x:rate5m) unless ignoring(le) y`, want: []string{"x:rate5m", "y"}},
		{expr: `x{a="}", b='{'} * ${scale}`, want: []string{"x"}},
		{expr: `rate(x[$__rate_interval]) and rate(y[[[interval]]])`, want: []string{"x", "y"}},
		{expr: `label_replace(x, "dst", "$1", "src", "(.*)")`, want: []string{"x"}},
		{expr: `label_values(toolgate_plugin_up{instance=~"$instance"}, plugin)`, want: []string{"toolgate_plugin_up"}},
		{expr: `label_values({__name__=~"a|a_count", x="y"}, lbl)`, want: []string{"a", "a_count"}},
		{expr: `count({__name__="a"})`, want: []string{"a"}},
		{expr: `label_values(plugin)`, want: nil},
		{expr: `count({__name__=~"a.*"})`, err: true},
		{expr: `count({__name__!="a"})`, err: true},
		{expr: `nosuchfunction(x)`, err: true},
	} {
		got, err := promqlMetricNames(c.expr)
		if (err != nil) != c.err {
			t.Errorf("%s: got error %v, want error %v", c.expr, err, c.err)
			continue
		}
		if !c.err && !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.expr, got, c.want)
		}
	}
}

// jwksServer serves an external issuer's key set and counts its fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
}

func startJWKS(t *testing.T) *jwksServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	set, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "e2e-external",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks.json" {
			http.NotFound(w, r)
			return
		}
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(set)
	}))
	t.Cleanup(s.Close)
	return s
}
