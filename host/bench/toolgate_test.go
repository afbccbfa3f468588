package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// built holds the toolgate and echo binaries, built once per test binary
// run and only when a benchmark asks for them, so `go test ./...` without
// -bench builds nothing.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// errNoGo means the binaries cannot be built here: a reason to skip.
var errNoGo = errors.New("the go command is not on PATH, so toolgate and the echo plugin cannot be built")

// binaries returns the directory with the toolgate and echo binaries.
func binaries() (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errNoGo
	}
	built.once.Do(func() { built.dir, built.err = build() })
	return built.dir, built.err
}

// build compiles the real binaries, as a release would, into a new
// directory that TestMain removes.
func build() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir, err := os.MkdirTemp("", "toolgate-bench-")
	if err != nil {
		return "", fmt.Errorf("making the build directory: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/toolgate", "./plugins/echo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building toolgate and the echo plugin in %s: %w\n%s", root, err, out)
	}
	return dir, nil
}

// server is a running `toolgate serve` process.
type server struct {
	url string
	pid int
	// session is the 2025-11-25 session opened by the initialize that
	// showed the server was up.
	session string
}

// lazyToolgate starts toolgate on first use, so that sub-benchmarks that
// do not need it (say -bench ToolsCallEcho/baseline) do not start it, and
// the ones that do share one server. Its owner calls stop.
type lazyToolgate struct {
	s    *server
	err  error
	stop func()
}

func (l *lazyToolgate) get(tb testing.TB) *server {
	tb.Helper()
	if l.s == nil && l.err == nil {
		l.s, l.stop, l.err = launch()
	}
	if errors.Is(l.err, errNoGo) {
		tb.Skipf("skipping: %v", l.err)
	}
	if l.err != nil {
		tb.Fatal(l.err)
	}
	return l.s
}

func (l *lazyToolgate) close() {
	if l.stop != nil {
		l.stop()
	}
}

// startToolgate starts toolgate for one benchmark and stops it at cleanup.
func startToolgate(tb testing.TB) *server {
	tb.Helper()
	var l lazyToolgate
	tb.Cleanup(l.close)
	return l.get(tb)
}

// launch starts `toolgate serve` with the echo plugin on a free loopback
// port and waits until it answers initialize. stop shuts it down.
func launch() (s *server, stop func(), err error) {
	bin, err := binaries()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "toolgate-run-")
	if err != nil {
		return nil, nil, fmt.Errorf("making the run directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := os.ReadFile(filepath.Join("testdata", "toolgate.toml"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the config template: %w", err)
	}
	conf := strings.NewReplacer("@LISTEN@", addr, "@ECHO@", filepath.Join(bin, "echo")).Replace(string(tmpl))
	confPath := filepath.Join(dir, "mcp.toml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, nil, fmt.Errorf("writing the config: %w", err)
	}
	// The log goes to a file: nothing to copy per line while timing, and
	// it can be shown if the server fails to start.
	logPath := filepath.Join(dir, "toolgate.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the log file: %w", err)
	}
	defer logFile.Close()

	cmd := exec.Command(filepath.Join(bin, "toolgate"), "serve", "--config", confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so that stop can also reach the plugin if
	// toolgate does not stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting toolgate: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		terminate(cmd.Process.Pid, exited)
		os.RemoveAll(dir)
	}

	s = &server{url: "http://" + addr + "/mcp", pid: cmd.Process.Pid}
	if s.session, err = waitReady(s.url, exited); err != nil {
		stop()
		out, _ := os.ReadFile(logPath)
		return nil, nil, fmt.Errorf("toolgate did not start: %w\nits log:\n%s", err, out)
	}
	return s, stop, nil
}

// waitReady polls initialize until the server answers, it exits, or a
// deadline passes: starting plugins takes a moment.
func waitReady(url string, exited <-chan error) (session string, err error) {
	c := newClient()
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := initialize(url, c)
		if err == nil {
			return id, nil
		}
		select {
		case werr := <-exited:
			return "", fmt.Errorf("it exited (%v)", werr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no answer within 30s: %w", err)
		}
	}
}

// terminate asks toolgate to shut down, which stops its plugins too, and
// kills its process group if it has not exited in time.
func terminate(pid int, exited <-chan error) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
