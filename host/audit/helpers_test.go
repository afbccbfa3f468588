package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// record returns the i-th test record.
func record(i int) Record {
	r := Record{
		RequestID: fmt.Sprintf("req-%04d", i), Subject: "alice", ClientID: "cli", Issuer: "https://issuer.example",
		Method: "tools/call", Tool: "echo", Plugin: "echo", PluginSHA256: strings.Repeat("ab", 32),
		Decision: DecisionAllowed, Scopes: []string{"tools:echo"}, Outcome: "ok", DurationMS: 1.25,
		ArgsSHA256: strings.Repeat("cd", 32),
	}
	if i%5 == 0 {
		r.Decision, r.Reason, r.Outcome, r.DurationMS = DecisionRefused, "insufficient_scope", "", 0
	}
	return r
}

// mustOpen opens a log and closes it at the end of the test if the test
// did not.
func mustOpen(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// writeRecords writes records first..first+n-1, waiting for room when the
// buffer is full, and closes the log.
func writeRecords(t testing.TB, opts Options, first, n int) {
	t.Helper()
	l := mustOpen(t, opts)
	for i := first; i < first+n; i++ {
		err := l.Write(record(i))
		for errors.Is(err, ErrFull) {
			runtime.Gosched() // let the writer catch up
			err = l.Write(record(i))
		}
		if err != nil {
			t.Fatalf("Write(%d): %v", i, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// trail writes n records to a new file and returns its path.
func trail(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	writeRecords(t, Options{Path: path, Buffer: 64}, 1, n)
	return path
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))
}

func writeFile(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// decode decodes a line (with or without its newline).
func decode(t testing.TB, line []byte) Record {
	t.Helper()
	var r Record
	if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\n")), &r); err != nil {
		t.Fatalf("decoding %q: %v", line, err)
	}
	return r
}

// reseal changes a record and seals it again, as a forger who knows the
// format would: its hash is right for its new content.
func reseal(t testing.TB, line []byte, change func(*Record)) []byte {
	t.Helper()
	r := decode(t, line)
	change(&r)
	out, _, err := newSealer().seal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(out), '\n')
}

func mustVerify(t testing.TB, paths ...string) Report {
	t.Helper()
	rep, err := Verify(paths...)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func value(t testing.TB, c prometheus.Collector) float64 {
	t.Helper()
	m, ok := c.(prometheus.Metric)
	if !ok {
		t.Fatalf("%T is not a single metric", c)
	}
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatalf("%T is neither a counter nor a gauge", c)
	return 0
}

// logBuffer collects log output; the writer goroutine logs while tests
// read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// blocker stops the writer goroutine in its first batch until released.
type blocker struct {
	once     sync.Once
	entered  chan struct{}
	released chan struct{}
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan struct{}), released: make(chan struct{})}
}

func (b *blocker) hook() {
	b.once.Do(func() {
		close(b.entered)
		<-b.released
	})
}

// deadline bounds a wait that only a bug makes long.
const deadline = 10 * time.Second
