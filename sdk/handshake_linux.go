package sdk

import (
	"os"
	"syscall"
)

// protectHandshake keeps anything a plugin writes to file descriptor 1 from
// reaching the host's handshake reader. go-plugin writes the handshake line
// to os.Stdout; we move that to a private copy of the descriptor and point
// descriptor 1 at stderr, so a stray write (a C library, a direct syscall) is
// logged instead of corrupting the handshake.
func protectHandshake() {
	fd, err := syscall.Dup(1)
	if err != nil {
		return
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return
	}
	os.Stdout = os.NewFile(uintptr(fd), "handshake")
}
