package pluginhost

import "syscall"

// dieWithParent has the kernel kill a plugin when the host dies, even by
// SIGKILL, when no cleanup code of the host can run. The SDK's parent
// watchdog covers the cases the signal misses.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
