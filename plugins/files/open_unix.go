//go:build unix

package main

import (
	"os"
	"syscall"
)

// openFlags opens without blocking, so a FIFO swapped in for a checked
// regular file cannot hang the call; Stat on the open file then refuses it.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
