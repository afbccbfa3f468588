//go:build linux || darwin

package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A FIFO must be refused, not opened: opening one for reading blocks until
// a writer comes, which would hang the call.
func TestReadFileRefusesFIFO(t *testing.T) {
	fx := newFixture(t)
	if err := syscall.Mkfifo(filepath.Join(fx.root, "pipe"), 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	c := fx.start(t, nil)
	wantError(t, fx.call(t, c, "read_file", map[string]any{"path": "pipe"}), "read_file: pipe: is not a regular file")
	out := structured[listOutput](t, fx.call(t, c, "list_directory", map[string]any{}))
	for _, e := range out.Entries {
		if e.Name == "pipe" && e.Type != "other" {
			t.Errorf("got type %q for a FIFO, want other", e.Type)
		}
	}
}
