package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	// token is the bearer token every request carries when the server
	// checks tokens, and "" when it does not.
	token string
}

// lazyToolgate starts toolgate on first use, so that sub-benchmarks that
// do not need it (say -bench ToolsCallEcho/baseline) do not start it, and
// the ones that do share one server. Its owner sets auth before the first
// get, and calls close.
type lazyToolgate struct {
	// auth turns token checks on, with a token minted for the server.
	auth bool
	s    *server
	err  error
	stop func()
}

func (l *lazyToolgate) get(tb testing.TB) *server {
	tb.Helper()
	if l.s == nil && l.err == nil {
		l.s, l.stop, l.err = launch(l.auth)
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
// port and waits until it answers initialize. With auth, the server checks
// tokens and s.token is one it accepts for the echo tool. stop shuts it
// down.
func launch(auth bool) (s *server, stop func(), err error) {
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
	conf := strings.NewReplacer("@LISTEN@", addr, "@ECHO@", filepath.Join(bin, "echo"),
		"@AUTH@", strconv.FormatBool(auth)).Replace(string(tmpl))
	confPath := filepath.Join(dir, "mcp.toml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, nil, fmt.Errorf("writing the config: %w", err)
	}
	var token string
	if auth {
		// Before the host starts, so that the key file exists when it
		// does: the host and the mint never race to create it.
		if token, err = mint(bin, confPath); err != nil {
			return nil, nil, err
		}
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
	// exited is closed once toolgate has exited and been reaped; a closed
	// channel, unlike a sent value, can be waited on by everyone who asks.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop = func() {
		terminate(cmd.Process.Pid, exited)
		os.RemoveAll(dir)
	}

	s = &server{url: "http://" + addr + "/mcp", pid: cmd.Process.Pid, token: token}
	if s.session, err = waitReady(s.url, token, exited, &waitErr); err != nil {
		out, _ := os.ReadFile(logPath) // before stop removes it
		stop()
		return nil, nil, fmt.Errorf("toolgate did not start: %w\nits log:\n%s", err, out)
	}
	return s, stop, nil
}

// mint has the local issuer of the config at confPath sign a token with
// the scope the echo tool needs, as an operator would.
func mint(bin, confPath string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "toolgate"), "token",
		"--config", confPath, "--sub", "bench", "--scope", "tools:echo")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	token := strings.TrimSpace(string(out))
	if err == nil && token == "" {
		err = errors.New("it printed no token")
	}
	if err != nil {
		return "", fmt.Errorf("toolgate token: %w\n%s", err, stderr.String())
	}
	return token, nil
}

// waitReady polls initialize, with token if not empty, until the server
// answers, it exits, or a deadline passes: starting plugins takes a moment.
// waitErr is cmd.Wait's error, to read once exited is closed.
func waitReady(url, token string, exited <-chan struct{}, waitErr *error) (session string, err error) {
	c := newClient()
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := initialize(url, token, c)
		if err == nil {
			return id, nil
		}
		select {
		case <-exited:
			return "", fmt.Errorf("it exited (%v)", *waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no answer within 30s: %w", err)
		}
	}
}

// terminate asks toolgate to shut down, which stops its plugins too, and
// kills its process group if it has not exited in time.
func terminate(pid int, exited <-chan struct{}) {
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
