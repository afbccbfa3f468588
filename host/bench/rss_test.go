package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rssMiB returns a process's resident set size (VmRSS) in MiB, read from
// /proc, so it is Linux only.
func rssMiB(pid int) (float64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the rss of pid %d: %w", pid, err)
	}
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		// "VmRSS:     12345 kB"
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 64)
		if err != nil {
			return 0, fmt.Errorf("parsing VmRSS of pid %d: %w", pid, err)
		}
		return kb / 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line in /proc/%d/status", pid)
}

// children returns the pids of a process's children: Toolgate's plugins.
// Each thread lists the children it started, and any of a Go program's
// threads may have started one.
func children(pid int) ([]int, error) {
	lists, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(lists) == 0 {
		return nil, fmt.Errorf("listing the children of pid %d: no /proc/%d/task/*/children", pid, pid)
	}
	var pids []int
	for _, list := range lists {
		b, err := os.ReadFile(list)
		if err != nil {
			return nil, fmt.Errorf("listing the children of pid %d: %w", pid, err)
		}
		for _, f := range strings.Fields(string(b)) {
			p, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("parsing %s: %w", list, err)
			}
			pids = append(pids, p)
		}
	}
	return pids, nil
}
