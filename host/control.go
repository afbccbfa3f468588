package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Control files, in the data directory next to the config file, let
// `toolgate reload` reach a serving host and learn how its reload ended:
// PIDFile holds the host's pid while it serves; StatusFile the outcome of
// the last reload.
const (
	PIDFile    = "toolgate.pid"
	StatusFile = "reload.json"
)

// DataDir is the directory of the control files for the config file at
// path: "data" beside it, where the audit trail and signing key live by
// default.
func DataDir(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), "data")
}

// ReloadStatus is the content of StatusFile.
type ReloadStatus struct {
	// Seq counts the reloads since the host started, from 1.
	Seq     int       `json:"seq"`
	PID     int       `json:"pid"`
	Time    time.Time `json:"time"`
	Trigger string    `json:"trigger"`
	// Result is "applied" or "refused"; Error says why it was refused,
	// Changes what an applied reload changed.
	Result  string `json:"result"`
	Error   string `json:"error,omitempty"`
	Changes string `json:"changes,omitempty"`
}

// writeControlFiles writes the pid file and returns what removes it.
func (h *Host) writeControlFiles() (func(), error) {
	dir := DataDir(h.cfg.File)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory for %s: %w", PIDFile, err)
	}
	pidPath := filepath.Join(dir, PIDFile)
	if err := writeFileAtomic(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		return nil, fmt.Errorf("writing %s: %w", pidPath, err)
	}
	// A status left by an earlier run would read as this run's.
	_ = os.Remove(filepath.Join(dir, StatusFile))
	return func() {
		// Another host may have started on the same data directory since.
		if b, err := os.ReadFile(pidPath); err == nil && string(b) == strconv.Itoa(os.Getpid())+"\n" {
			_ = os.Remove(pidPath)
		}
	}, nil
}

// recordReload writes the outcome of a reload to StatusFile. Reloads are
// serialised, so seq needs no lock of its own.
func (h *Host) recordReload(trigger, changes string, err error) {
	h.reloadSeq++
	st := ReloadStatus{Seq: h.reloadSeq, PID: os.Getpid(), Time: time.Now().UTC(), Trigger: trigger, Result: "applied", Changes: changes}
	if err != nil {
		st.Result, st.Error, st.Changes = "refused", err.Error(), ""
	}
	b, _ := json.Marshal(st)
	path := filepath.Join(DataDir(h.cfg.File), StatusFile)
	if werr := writeFileAtomic(path, append(b, '\n')); werr != nil {
		h.log.Warn("cannot record the reload's outcome for toolgate reload", "file", path, "error", werr)
	}
}

// ReadReloadStatus reads StatusFile; a missing file is the zero status.
func ReadReloadStatus(configPath string) (ReloadStatus, error) {
	var st ReloadStatus
	b, err := os.ReadFile(filepath.Join(DataDir(configPath), StatusFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

// writeFileAtomic writes a file whole: a reader never sees it half written.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
