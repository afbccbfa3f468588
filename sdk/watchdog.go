package sdk

import (
	"os"
	"time"
)

// watchParent ends the plugin when the host that started it is gone. The
// host also asks the kernel to kill its plugins when it dies (Linux's
// parent-death signal); this covers what that misses, such as the host's
// starting thread ending before the host, or systems without the signal.
// An orphaned process is adopted by another parent, so a changed parent
// pid means the host has died.
func watchParent(every time.Duration) {
	parent := os.Getppid()
	for range time.Tick(every) {
		if os.Getppid() != parent {
			Logger.Error("the host process is gone: exiting", "host_pid", parent)
			os.Exit(1)
		}
	}
}
