package pluginhost

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/toolgate/toolgate/config"
)

// limitProcess sets the plugin's memory and CPU limits on its process with
// prlimit(2), which needs no privilege to lower the limits of a process of
// the same user. They apply from the moment the handshake is done, before
// Init, so a plugin cannot reach its tools' code without them.
func limitProcess(pid int, spec config.Plugin) error {
	if spec.MemoryLimit > 0 {
		lim := uint64(spec.MemoryLimit)
		if err := unix.Prlimit(pid, unix.RLIMIT_AS, &unix.Rlimit{Cur: lim, Max: lim}, nil); err != nil {
			return fmt.Errorf("setting plugins.memory_limit (RLIMIT_AS) on pid %d: %w", pid, err)
		}
	}
	if spec.CPULimit > 0 {
		// The soft limit sends SIGXCPU, which ends a Go process; the hard
		// one a second later sends SIGKILL, should the plugin catch it.
		secs := uint64((spec.CPULimit + time.Second - 1) / time.Second)
		if err := unix.Prlimit(pid, unix.RLIMIT_CPU, &unix.Rlimit{Cur: secs, Max: secs + 1}, nil); err != nil {
			return fmt.Errorf("setting plugins.cpu_limit (RLIMIT_CPU) on pid %d: %w", pid, err)
		}
	}
	return nil
}
