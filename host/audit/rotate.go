package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// rotateDue reports whether a line of n bytes (with its newline) would take
// the current file past MaxBytes. A file that holds nothing yet takes any
// line.
func (l *Log) rotateDue(n int) bool {
	if l.stdout || l.opts.MaxBytes == 0 {
		return false
	}
	size := l.size + int64(len(l.pending))
	return size > 0 && size+int64(n) > l.opts.MaxBytes
}

// rotate moves the full file aside and goes on in a new one. pending must
// be empty. A rotation that fails leaves the writer on the current file,
// which then grows past MaxBytes, and is tried again a minute later:
// records matter more than the size limit.
func (l *Log) rotate() {
	now := time.Now()
	if now.Before(l.noRotateUntil) {
		return
	}
	if err := l.rotateFiles(); err != nil {
		l.failed("rotate", err)
		l.noRotateUntil = now.Add(rotateBackoff)
		return
	}
	l.recovered("rotate")
}

// rotateFiles creates the new file under a temporary name first, so that a
// failure to create it changes nothing; then it shifts path.N-1 → path.N …
// path → path.1 and renames the new file to path. The old file is fsynced
// before, the directory after.
func (l *Log) rotateFiles() error {
	path := l.opts.Path
	if l.dirty {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("fsync before rotating: %w", err)
		}
		l.dirty, l.lastSync = false, time.Now()
	}
	tmp := path + ".new"
	nf, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	abort := func(err error) error {
		nf.Close()
		os.Remove(tmp)
		return err
	}
	if n := l.opts.MaxFiles; n > 0 {
		if err := os.Remove(rotated(path, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return abort(err)
		}
		for i := n - 1; i >= 1; i-- {
			if err := os.Rename(rotated(path, i), rotated(path, i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return abort(err)
			}
		}
		// The open file goes with its name: if a later step fails, the
		// writer goes on in path.1, and no record is lost.
		if err := os.Rename(path, rotated(path, 1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return abort(err)
		}
	}
	// With MaxFiles 0 this replaces the old file, which is kept by no name.
	if err := os.Rename(tmp, path); err != nil {
		return abort(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		l.failed("fsync", fmt.Errorf("fsync of the directory after rotating: %w", err))
	}
	if err := l.f.Close(); err != nil {
		l.failed("rotate", fmt.Errorf("closing the rotated file: %w", err))
	}
	l.f, l.size = l.wrap(nf), 0
	l.log.Info("audit trail rotated", "file", path, "next_seq", l.seq+1)
	return nil
}

// rotated is the name of the i-th rotated file: path.i.
func rotated(path string, i int) string { return path + "." + strconv.Itoa(i) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
