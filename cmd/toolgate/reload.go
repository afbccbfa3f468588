package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/toolgate/toolgate/host"
)

// reload asks the host serving a config file to reload it: it sends the
// host SIGHUP, waits for the outcome the host records in its data
// directory and prints it. It exits 0 when the new config was applied, 1
// when it was refused or the host could not be reached.
func reload(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "mcp.toml", "the configuration `file` the host serves")
	wait := fs.Duration("timeout", 2*time.Minute, "how long to wait for the outcome")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "toolgate reload: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	pid, err := servingPID(*path)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate reload: %v\n", err)
		return 1
	}
	before, err := host.ReadReloadStatus(*path)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate reload: reading the last reload's outcome: %v\n", err)
		return 1
	}
	if err := signalPID(pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(stderr, "toolgate reload: signalling toolgate (pid %d): %v\n", pid, err)
		return 1
	}
	st, err := awaitReload(*path, pid, before.Seq, *wait)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate reload: %v\n", err)
		return 1
	}
	if st.Result != "applied" {
		fmt.Fprintf(stderr, "toolgate reload: refused; toolgate (pid %d) keeps serving the config it had:\n%s\n", pid, st.Error)
		return 1
	}
	fmt.Fprintf(stdout, "toolgate reload: applied (pid %d): %s\n", pid, st.Changes)
	return 0
}

// servingPID reads the pid file of the host serving the config at path and
// checks that the process lives.
func servingPID(path string) (int, error) {
	pidPath := filepath.Join(host.DataDir(path), host.PIDFile)
	b, err := os.ReadFile(pidPath)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("no toolgate serves %s: %s does not exist (start it with toolgate serve --config %s)", path, pidPath, path)
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid: %q", pidPath, b)
	}
	if err := signalPID(pid, syscall.Signal(0)); errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return 0, fmt.Errorf("no toolgate serves %s: pid %d in %s has exited (a stale file: remove it)", path, pid, pidPath)
	}
	return pid, nil
}

// awaitReload waits for the outcome of the reload SIGHUP asked for: the
// first reload after seq that SIGHUP triggered.
func awaitReload(path string, pid, seq int, wait time.Duration) (host.ReloadStatus, error) {
	deadline := time.Now().Add(wait)
	for {
		st, err := host.ReadReloadStatus(path)
		if err != nil {
			return st, fmt.Errorf("reading the reload's outcome: %w", err)
		}
		if st.PID == pid && st.Seq > seq && st.Trigger == "SIGHUP" {
			return st, nil
		}
		if signalPID(pid, syscall.Signal(0)) != nil {
			return st, fmt.Errorf("toolgate (pid %d) exited before it reported the reload", pid)
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("toolgate (pid %d) did not report the reload within %s; see its log", pid, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signalPID sends sig to the process pid; signal 0 only checks that it
// lives.
func signalPID(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}
