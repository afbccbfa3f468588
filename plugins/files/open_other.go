//go:build !unix

package main

import "os"

// openFlags elsewhere is plain read-only: there is no FIFO to block on.
const openFlags = os.O_RDONLY
