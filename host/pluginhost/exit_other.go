//go:build !linux

package pluginhost

import (
	"os"
	"syscall"
	"time"
)

// waitExit blocks until the process with the given pid has exited, polling
// where no pidfd exists.
func waitExit(pid int) {
	for {
		p, err := os.FindProcess(pid)
		if err != nil || p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
