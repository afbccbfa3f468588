//go:build !linux

package pluginhost

import "syscall"

// dieWithParent has no kernel support here; the SDK's parent watchdog ends
// a plugin whose host is gone.
func dieWithParent() *syscall.SysProcAttr { return nil }
