//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The official MCP conformance runner, in two lines installed side by side
// in testdata/conformance: the stable one under its own name and the alpha
// one, which adds the requirement sets of each protocol revision, under an
// npm alias. Without node or the packages the test fails, it does not skip.
const (
	conformanceDir  = "testdata/conformance"
	conformanceHint = "run: npm ci --prefix host/e2e/testdata/conformance"
	// everythingScope is the scope plugins/everything suggests for its tools.
	everythingScope = "tools:everything"
)

// conformanceRun is one invocation of a runner's server command.
type conformanceRun struct {
	name string
	// dep is the runner's dependency name in package.json, which is also
	// its directory under node_modules.
	dep  string
	args []string
}

var conformanceRuns = []conformanceRun{
	{"stable active", "@modelcontextprotocol/conformance", []string{"--suite", "active"}},
	{"stable pending", "@modelcontextprotocol/conformance", []string{"--suite", "pending"}},
	{"alpha 2025-11-25", "conformance-alpha", []string{"--requirements", "2025-11-25"}},
	{"alpha 2026-07-28", "conformance-alpha", []string{"--requirements", "2026-07-28"}},
}

// TestConformance runs the official conformance suites against a host with
// authorization on, loading plugins/everything. The runner cannot send a
// bearer token, so it talks to a reverse proxy on loopback that adds one
// minted by the host's local issuer and changes nothing else: Host and Origin
// reach the host as the runner sent them, so the DNS rebinding scenario sees
// its foreign Host refused.
//
// A scored scenario fails the test unless it is listed in
// expectedConformanceFailures with the reason; a listed scenario that passes
// fails it too, so the list shrinks as Toolgate grows. A scenario that a
// --requirements run runs without scoring it may fail only when
// notImplemented says what Toolgate lacks for it, and the log says so. The
// runner's own exit code must agree (see judgeConformance).
func TestConformance(t *testing.T) {
	checkConformanceInstalled(t)
	h := startHost(t, authHostConfig(everythingPlugin))
	proxy := tokenProxy(t, h.addr, mintToken(t, h, "conformance-runner", everythingScope))
	for _, run := range conformanceRuns {
		t.Run(run.name, func(t *testing.T) {
			res := runConformance(t, run, proxy+"/mcp")
			t.Logf("%s summary:\n%s", run.name, res.summary)
			judgeConformance(t, run.name, res)
		})
	}
}

// everythingPlugin is the config of plugins/everything.
const everythingPlugin = "[[plugins]]\nname = \"everything\"\npath = \"@BIN@/everything\"\n"

// tokenProxy serves a reverse proxy to the host at addr on a free loopback
// port and returns its base URL. It sets Authorization to the token and
// forwards everything else, the Host header included, unchanged; it flushes
// at once so that event streams are not held back.
func tokenProxy(t *testing.T, addr, token string) string {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			r.Out.Header.Set("Authorization", "Bearer "+token)
		},
		FlushInterval: -1,
		// A fresh connection for every request, on both sides: a keep-alive
		// connection that one side closes as the other reuses it fails the
		// runner's request ("terminated"), a race of the proxy's, not the
		// host's.
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	srv.SetKeepAlivesEnabled(false)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// checkConformanceInstalled fails the test unless node and the pinned
// packages are installed.
func checkConformanceInstalled(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v); the conformance tests need Node.js 20 or later and their packages: %s", err, conformanceHint)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(conformanceDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshal(t, b, &pkg)
	for dep, spec := range pkg.Dependencies {
		// An alias, npm:NAME@VERSION, pins the version after its last "@".
		want := spec[strings.LastIndexByte(spec, '@')+1:]
		var installed struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(conformanceDir, "node_modules", dep, "package.json"))
		if err != nil {
			t.Fatalf("%s is not installed (%v): %s", dep, err, conformanceHint)
		}
		mustUnmarshal(t, b, &installed)
		if installed.Version != want {
			t.Fatalf("node_modules holds %s %s, package.json pins %s: %s", dep, installed.Version, want, conformanceHint)
		}
	}
}

// conformanceResult is what one run reported.
type conformanceResult struct {
	// summary is the runner's closing report, quoted as printed.
	summary string
	// scenarios maps each scenario the runner ran to its failed checks
	// (none when it passed).
	scenarios map[string][]failedCheck
	// warnings maps a scenario to its WARNING checks: not failures, but
	// often a sign that the scenario could not test what it meant to.
	warnings map[string][]failedCheck
	// announced is how many scenarios the runner said it would run.
	announced int
	// unscored maps each scenario a --requirements run ran but does not
	// score to the runner's reason (extension, pending,
	// added-after-release); empty for the other runs, which score all.
	unscored map[string]string
	exitCode int
	output   string
}

type failedCheck struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	ErrorMessage string `json:"errorMessage"`
}

func (f failedCheck) String() string {
	return fmt.Sprintf("%s (%s): %s", f.Name, f.Description, f.ErrorMessage)
}

// runConformance runs the runner's server command against url.
//
// Both runner lines report the same way, which is what this relies on: with
// --output-dir each scenario's checks are written to
// <dir>/server-<scenario>-<timestamp>/checks.json, an array of
// {id, name, description, status, errorMessage}, status being SUCCESS,
// FAILURE, WARNING, SKIPPED or INFO; and after the last scenario stdout has
// "=== SUMMARY ===", a "✓ name: P passed, F failed" or "✗ ..." line per
// scenario, and "Total: P passed, F failed". A scenario that crashes the
// runner's client has a summary line and no checks.json, so the summary says
// which scenarios ran and checks.json what failed in them.
func runConformance(t *testing.T, run conformanceRun, url string) conformanceResult {
	t.Helper()
	outDir := t.TempDir()
	runner := filepath.Join("node_modules", run.dep, "dist", "index.js")
	args := append([]string{runner, "server", "--url", url, "--output-dir", outDir}, run.args...)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = conformanceDir
	cmd.Env = append(os.Environ(), "NODE_OPTIONS="+nodeOptions(t), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("node %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	var exit *exec.ExitError
	res := conformanceResult{output: out.String()}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("the runner ran for more than 10 minutes\noutput:\n%s", tail(res.output, 200))
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("running the conformance runner: %v", err)
	}

	res.summary, res.announced, res.scenarios, res.unscored = parseSummary(res.output)
	if res.scenarios == nil {
		t.Fatalf("the runner printed no summary (exit code %d)\noutput:\n%s", res.exitCode, tail(res.output, 200))
	}
	checks, warnings, err := readChecks(outDir)
	res.warnings = warnings
	if err != nil {
		t.Fatalf("reading the runner's results: %v", err)
	}
	for name, failed := range res.scenarios {
		if failed == nil {
			continue
		}
		if c, ok := checks[name]; ok {
			res.scenarios[name] = c
		} else {
			res.scenarios[name] = []failedCheck{{Name: name, Description: "the scenario did not run to its end",
				ErrorMessage: "see the runner's output"}}
		}
	}
	return res
}

// nodeOptions loads testdata/conformance/node20.mjs, which lets the runner
// start on Node.js 20, on top of the NODE_OPTIONS of the environment.
func nodeOptions(t *testing.T) string {
	t.Helper()
	shim, err := filepath.Abs(filepath.Join(conformanceDir, "node20.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(os.Getenv("NODE_OPTIONS") + " --import=" + shim)
}

var (
	announceLine = regexp.MustCompile(`^Running .* \((\d+) scenarios\) against `)
	scenarioLine = regexp.MustCompile(`^([✓✗]) (\S+): (\d+) passed, (\d+) failed$`)
	// unscoredLine is a scenario of the list a --requirements run prints
	// after its summary, under "Not scored for <revision>: ...": one it
	// ran and reported but does not count, with the reason.
	unscoredLine = regexp.MustCompile(`^\s+[✓✗] (\S+) \(([^)]+)\)$`)
)

// parseSummary reads the runner's stdout: the quoted summary (from the
// announcement of the run and from "=== SUMMARY ===" on), how many scenarios
// were announced, each scenario of the summary, mapped to nil when it
// passed and to an empty slice when it failed, and the scenarios the run
// does not score, with the runner's reason. scenarios is nil when there is
// no summary.
func parseSummary(out string) (summary string, announced int, scenarios map[string][]failedCheck, unscored map[string]string) {
	var quoted []string
	inSummary, inUnscored := false, false
	unscored = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := announceLine.FindStringSubmatch(line); m != nil {
			announced, _ = strconv.Atoi(m[1])
			quoted = append(quoted, line)
			continue
		}
		if strings.TrimSpace(line) == "=== SUMMARY ===" {
			inSummary, scenarios = true, map[string][]failedCheck{}
		}
		if !inSummary {
			continue
		}
		quoted = append(quoted, line)
		if strings.HasPrefix(line, "Not scored for ") {
			inUnscored = true
			continue
		}
		if m := unscoredLine.FindStringSubmatch(line); inUnscored && m != nil {
			unscored[m[1]] = m[2]
			continue
		}
		if m := scenarioLine.FindStringSubmatch(line); m != nil {
			if m[1] == "✗" || m[4] != "0" {
				scenarios[m[2]] = []failedCheck{}
			} else {
				scenarios[m[2]] = nil
			}
		}
	}
	return strings.TrimSpace(strings.Join(quoted, "\n")), announced, scenarios, unscored
}

// resultDirSuffix is the timestamp the runner appends to a scenario's
// result directory: an ISO time with ":" and "." replaced by "-".
var resultDirSuffix = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

// readChecks reads every checks.json under dir and returns the failed and
// the warning checks of each scenario that has any.
func readChecks(dir string) (failures, warnings map[string][]failedCheck, err error) {
	failures, warnings = map[string][]failedCheck{}, map[string][]failedCheck{}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "checks.json" {
			return err
		}
		rel, err := filepath.Rel(dir, filepath.Dir(path))
		if err != nil {
			return err
		}
		scenario := resultDirSuffix.ReplaceAllString(strings.TrimPrefix(filepath.ToSlash(rel), "server-"), "")
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var checks []struct {
			failedCheck
			Status string `json:"status"`
		}
		if err := json.Unmarshal(b, &checks); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, c := range checks {
			switch c.Status {
			case "FAILURE":
				failures[scenario] = append(failures[scenario], c.failedCheck)
			case "WARNING":
				warnings[scenario] = append(warnings[scenario], c.failedCheck)
			}
		}
		return nil
	})
	return failures, warnings, err
}

// judgeConformance fails the test for every scored scenario whose outcome
// differs from expectedConformanceFailures, for every scenario a run does
// not score that fails without being in notImplemented, and when the run is
// not whole or the runner's own verdict disagrees with the checks.
//
// What the runner scores: a --requirements run scores the scenarios its
// requirement set lists, and its exit code is 1 exactly when one of them
// has a FAILURE check; WARNING checks (SHOULDs) never count. It also runs
// the set's not_scored scenarios (extensions such as tasks, and scenarios
// still pending in the suite) and reports them apart, under "Not scored",
// without effect on its verdict. Every scenario of the other runs is
// scored, and their exit code is 1 likewise when any check failed.
func judgeConformance(t *testing.T, run string, res conformanceResult) {
	t.Helper()
	if len(res.scenarios) != res.announced {
		t.Errorf("the runner announced %d scenarios and reported %d\noutput:\n%s",
			res.announced, len(res.scenarios), tail(res.output, 200))
	}
	scoredFailing := 0
	for _, name := range slices.Sorted(maps.Keys(res.scenarios)) {
		failed := res.scenarios[name]
		if reason, ok := res.unscored[name]; ok {
			judgeUnscored(t, name, reason, failed)
		} else {
			judgeScored(t, run, name, failed)
			if failed != nil {
				scoredFailing++
			}
		}
		if w := res.warnings[name]; len(w) > 0 {
			t.Logf("scenario %s warns:\n\t%s", name, joinChecks(w))
		}
	}
	// The runner's verdict, which the test also holds Toolgate to.
	switch {
	case scoredFailing == 0 && res.exitCode != 0:
		t.Errorf("the runner exited with %d although no scored scenario failed\noutput:\n%s", res.exitCode, tail(res.output, 200))
	case scoredFailing > 0 && res.exitCode == 0:
		t.Errorf("the runner exited with 0 although %d scored scenario(s) failed: its verdict and its checks disagree", scoredFailing)
	}
}

// judgeScored holds a scored scenario to expectedConformanceFailures.
func judgeScored(t *testing.T, run, name string, failed []failedCheck) {
	t.Helper()
	reason, expected := expectedFailure(run, name)
	switch {
	case failed != nil && !expected:
		t.Errorf("scenario %s failed:\n\t%s", name, joinChecks(failed))
	case failed != nil:
		t.Logf("scenario %s failed as expected (%s):\n\t%s", name, reason, joinChecks(failed))
	case expected:
		t.Errorf("scenario %s passes: remove it from expectedConformanceFailures (%s)", name, reason)
	}
}

// judgeUnscored reports a scenario the run does not score. It may fail only
// for something notImplemented names, and the test says so out loud.
func judgeUnscored(t *testing.T, name, reason string, failed []failedCheck) {
	t.Helper()
	missing, listed := notImplemented[name]
	switch {
	case failed != nil && !listed:
		t.Errorf("scenario %s (not scored: %s) failed, and notImplemented does not say why:\n\t%s", name, reason, joinChecks(failed))
	case failed != nil:
		t.Logf("NOT IMPLEMENTED: scenario %s fails, not scored for this revision (%s): %s", name, reason, missing)
	case listed:
		t.Errorf("scenario %s (not scored: %s) passes: remove it from notImplemented (%s)", name, reason, missing)
	default:
		t.Logf("scenario %s passes (not scored: %s)", name, reason)
	}
}

func joinChecks(cs []failedCheck) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, "\n\t")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// expectedFailure reports whether the scenario is expected to fail in the
// run, and why.
func expectedFailure(run, scenario string) (string, bool) {
	if r, ok := expectedConformanceFailures[run+": "+scenario]; ok {
		return r, true
	}
	r, ok := expectedConformanceFailures[scenario]
	return r, ok
}

// expectedConformanceFailures are the scored scenarios Toolgate does not
// pass yet, keyed by scenario (in every run) or by "run: scenario", each
// with what it is waiting for. An entry goes as soon as its scenario
// passes. A scenario a run does not score belongs in notImplemented.
var expectedConformanceFailures = map[string]string{}

// notImplemented are the scenarios that a --requirements run runs but does
// not score and that fail because Toolgate does not implement what they
// test, each with what that is. The test logs each as NOT IMPLEMENTED on
// every run; one that passes fails the test until it is taken off.
var notImplemented = map[string]string{
	"tasks-lifecycle":              tasksExtension,
	"tasks-capability-negotiation": tasksExtension,
	"tasks-wire-fields":            tasksExtension,
	"tasks-request-state-removal":  tasksExtension,
	"tasks-mrtr-input":             tasksExtension,
	"tasks-request-headers":        tasksExtension,
	"tasks-dispatch-and-envelope":  tasksExtension,
	"tasks-required-task-error":    tasksExtension,
	"tasks-mrtr-composition":       tasksExtension,
}

const tasksExtension = "the tasks extension (io.modelcontextprotocol/tasks, SEP-2663), an optional extension, is not implemented: " +
	"no task-capable fixture tools, no tasks/get, tasks/update, tasks/cancel"
