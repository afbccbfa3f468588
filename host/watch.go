package host

import (
	"context"
	"fmt"
	"path/filepath"

	"time"

	"github.com/fsnotify/fsnotify"
)

// settle is how long the watched files must stay quiet before a change is
// acted on: an editor's save or a copy comes as a burst of events.
const settle = 300 * time.Millisecond

// watch reloads when the config file or a plugin binary changes, until ctx
// is done. It watches their directories, not the files: editors and
// deployments replace a file by renaming another over it, which a watch
// on the file itself would lose.
func (h *Host) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the config file (server.watch): %w", err)
	}
	files, err := h.watchFiles(w, nil)
	if err != nil {
		w.Close()
		return err
	}
	go func() {
		defer w.Close()
		var fire <-chan time.Time
		var timer *time.Timer
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if !files[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
					continue
				}
				if timer != nil {
					timer.Stop()
				}
				timer = time.NewTimer(settle)
				fire = timer.C
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				h.log.Warn("watching the config file and plugin binaries", "error", err)
			case <-fire:
				fire = nil
				_, _ = h.Reload(ctx, "file change")
				if files, err = h.watchFiles(w, files); err != nil {
					h.log.Warn("watching the config file and plugin binaries", "error", err)
				}
			}
		}
	}()
	return nil
}

// watchFiles watches the directories of the config file and of every
// plugin binary in service, and returns the set of those files.
func (h *Host) watchFiles(w *fsnotify.Watcher, before map[string]bool) (map[string]bool, error) {
	l := h.live.Load()
	cfgFile, err := filepath.Abs(l.cfg.File)
	if err != nil {
		return before, err
	}
	files := map[string]bool{cfgFile: true}
	for _, p := range l.cfg.Plugins {
		files[filepath.Clean(p.BinaryPath(l.cfg.Dir))] = true
	}
	watched := map[string]bool{}
	for _, d := range w.WatchList() {
		watched[d] = true
	}
	for f := range files {
		dir := filepath.Dir(f)
		if watched[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			return files, fmt.Errorf("watching %s: %w", dir, err)
		}
		watched[dir] = true
	}
	return files, nil
}
