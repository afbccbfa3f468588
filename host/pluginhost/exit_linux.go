package pluginhost

import (
	"golang.org/x/sys/unix"
)

// waitExit blocks until the process with the given pid has exited. go-plugin
// owns (and reaps) the child, so this watches it through a pidfd, which
// becomes readable the moment the process ends.
func waitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // already gone
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			return
		}
	}
}
