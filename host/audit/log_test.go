package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "audit.log")
	lineLen := int64(len(readLines(t, trail(t, 1))[0]))
	maxBytes := 10 * (lineLen + 10) // about ten records a file
	writeRecords(t, Options{Path: path, Buffer: 16, MaxBytes: maxBytes, MaxFiles: 3}, 1, 100)

	files := []string{path + ".3", path + ".2", path + ".1", path}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > maxBytes || st.Size() == 0 {
			t.Errorf("%s: %d bytes, want 1..%d", f, st.Size(), maxBytes)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", f, perm)
		}
	}
	if _, err := os.Stat(path + ".4"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.4: got %v, want it removed (max files 3)", path, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("directory: got %v %v, want mode 0700", st.Mode().Perm(), err)
	}

	rep := mustVerify(t, files...)
	if rep.LastSeq != 100 || rep.Records != int(rep.LastSeq-rep.FirstSeq+1) || rep.FromStart || len(rep.Warnings) != 0 {
		t.Errorf("report: %d records, seq %d..%d, from start %v, warnings %q; want seq ..100, no gaps, not from the start, no warnings",
			rep.Records, rep.FirstSeq, rep.LastSeq, rep.FromStart, rep.Warnings)
	}
	first := decode(t, readLines(t, path)[0])
	lines2 := readLines(t, path+".1")
	if want := lineSum(bytes.TrimSuffix(lines2[len(lines2)-2], []byte("\n"))); first.Prev != want {
		t.Errorf("the current file's first record: prev %s, want the SHA-256 of %s's last line, %s", first.Prev, path+".1", want)
	}

	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"missing middle file", []string{path + ".3", path + ".1", path}, "records %d..%d are missing: " + path + ".1 line 1 has seq %d and its prev does not match " + path + ".3 line %d (seq %d)"},
		{"files newest first", []string{path, path + ".1"}, "records out of order at " + path + ".1 line 1: seq %d follows seq 100 (" + path + " line %d); give the files oldest first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.files...)
			if err == nil {
				t.Fatal("Verify: got no error")
			}
			// The numbers depend on the line length; the words must not.
			if regexpDigits.ReplaceAllString(err.Error(), "%d") != regexpDigits.ReplaceAllString(tt.want, "%d") {
				t.Errorf("Verify:\ngot  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestReopenContinuesChain(t *testing.T) {
	t.Run("same file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		writeRecords(t, Options{Path: path, Buffer: 8}, 1, 10)
		writeRecords(t, Options{Path: path, Buffer: 8}, 11, 10)
		rep := mustVerify(t, path)
		if rep.Records != 20 || rep.LastSeq != 20 || len(rep.Warnings) != 0 {
			t.Errorf("got %d records up to seq %d, warnings %q; want 20, no warnings", rep.Records, rep.LastSeq, rep.Warnings)
		}
	})
	t.Run("crash between the renames of a rotation", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		writeRecords(t, Options{Path: path, Buffer: 8}, 1, 10)
		if err := os.Rename(path, path+".1"); err != nil { // the new file was never created
			t.Fatal(err)
		}
		writeRecords(t, Options{Path: path, Buffer: 8}, 11, 5)
		rep := mustVerify(t, path+".1", path)
		if rep.Records != 15 || len(rep.Warnings) != 0 {
			t.Errorf("got %d records, warnings %q; want 15, no warnings", rep.Records, rep.Warnings)
		}
	})
	t.Run("last record without its newline", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		writeRecords(t, Options{Path: path, Buffer: 8}, 1, 10)
		truncate(t, path, 1)
		writeRecords(t, Options{Path: path, Buffer: 8}, 11, 5)
		rep := mustVerify(t, path)
		if rep.Records != 15 || len(rep.Warnings) != 0 {
			t.Errorf("got %d records, warnings %q; want 15, no warnings: only the newline was missing", rep.Records, rep.Warnings)
		}
	})
}

func TestBrokenTailRestartsExplicitly(t *testing.T) {
	tests := []struct {
		name     string
		break_   func(t *testing.T, path string) int64 // returns the broken line's offset
		wantLog  string
		wantWarn []string // parts of the one warning
	}{
		{
			name: "torn last record",
			break_: func(t *testing.T, path string) int64 {
				off := lastLineOffset(t, path)
				truncate(t, path, 40)
				return off
			},
			wantLog: "torn=true",
			wantWarn: []string{
				"FILE line 10 is not a JSON record: ",
				"; the writer restarted the chain explicitly at FILE line 11 (seq 10): previous file audit.log ended with a torn record at byte OFF (",
			},
		},
		{
			name: "last record edited",
			break_: func(t *testing.T, path string) int64 {
				lines := readLines(t, path)
				lines[9] = bytes.Replace(lines[9], []byte("req-0010"), []byte("req-9999"), 1)
				writeFile(t, path, lines)
				return lastLineOffset(t, path)
			},
			wantLog:  "torn=false",
			wantWarn: []string{"record 10 (FILE line 10) was edited: its hash does not match its content; the writer restarted the chain explicitly at FILE line 11 (seq 10): previous file audit.log ended with a record at byte OFF that does not verify (edited: its hash does not match its content); the chain restarts here"},
		},
		{
			name: "only line torn",
			break_: func(t *testing.T, path string) int64 {
				os.WriteFile(path, []byte(`{"time":"2026-`), 0o600)
				return 0
			},
			wantLog: "torn=true",
			wantWarn: []string{
				"FILE line 1 is not a JSON record: ",
				"the writer restarted the chain explicitly at FILE line 2 (seq 1): previous file audit.log ended with a torn record at byte 0 (14 bytes and no newline",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			writeRecords(t, Options{Path: path, Buffer: 8}, 1, 10)
			off := tt.break_(t, path)
			if _, err := Verify(path); err == nil {
				t.Fatal("Verify of the broken file: got no error")
			}
			var logs logBuffer
			writeRecords(t, Options{Path: path, Buffer: 8, Logger: logs.logger()}, 11, 5)
			if !strings.Contains(logs.String(), "starting a new chain segment") || !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log: got\n%s\nwant the break reported, with %s", logs.String(), tt.wantLog)
			}
			rep := mustVerify(t, path)
			if len(rep.Warnings) != 1 {
				t.Fatalf("warnings: got %q, want one", rep.Warnings)
			}
			for _, part := range tt.wantWarn {
				want := strings.NewReplacer("FILE", path, "OFF", fmt.Sprint(off)).Replace(part)
				if !strings.Contains(rep.Warnings[0], want) {
					t.Errorf("warning:\ngot  %s\nwant it to contain %s", rep.Warnings[0], want)
				}
			}
			restart := decode(t, readLines(t, path)[rep.Records-5])
			if restart.Method != MethodRestart {
				t.Errorf("the record before the new ones: got method %q, want %q", restart.Method, MethodRestart)
			}
		})
	}
}

func lastLineOffset(t *testing.T, path string) int64 {
	lines := readLines(t, path)
	var off int64
	for _, l := range lines[:len(lines)-2] {
		off += int64(len(l))
	}
	return off
}

func truncate(t *testing.T, path string, cut int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()-cut); err != nil {
		t.Fatal(err)
	}
}

func TestFullBuffer(t *testing.T) {
	tests := []struct {
		name        string
		drop        bool
		wantErr     error
		wantRecords int // in the file
		wantDropped float64
	}{
		{name: "refuse", wantErr: ErrFull, wantRecords: 5},
		{name: "drop", drop: true, wantRecords: 6, wantDropped: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			b := newBlocker()
			reg := prometheus.NewRegistry()
			l := mustOpen(t, Options{Path: path, Buffer: 4, DropWhenFull: tt.drop, Registerer: reg, hooks: hooks{batch: b.hook}})
			if err := l.Write(record(1)); err != nil {
				t.Fatal(err)
			}
			<-b.entered // the writer holds record 1 and waits
			for i := 2; i <= 5; i++ {
				if err := l.Write(record(i)); err != nil {
					t.Fatalf("Write(%d) with room in the buffer: %v", i, err)
				}
			}
			if got := value(t, l.m.collectors[3]); got != 4 {
				t.Errorf("toolgate_audit_buffer_records: got %v, want 4", got)
			}
			for i := 6; i <= 15; i++ {
				if err := l.Write(record(i)); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Write(%d) with the buffer full: got %v, want %v", i, err, tt.wantErr)
				}
			}
			if got := value(t, l.m.dropped); got != tt.wantDropped {
				t.Errorf("toolgate_audit_records_dropped_total: got %v, want %v", got, tt.wantDropped)
			}
			close(b.released)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			rep := mustVerify(t, path)
			if rep.Records != tt.wantRecords {
				t.Errorf("got %d records, want %d", rep.Records, tt.wantRecords)
			}
			last := decode(t, readLines(t, path)[rep.Records-1])
			if tt.drop && (last.Method != MethodDropped || !strings.HasPrefix(last.Reason, "10 records were dropped")) {
				t.Errorf("last record: got %s %q, want %s saying 10 records were dropped", last.Method, last.Reason, MethodDropped)
			}
		})
	}
}

// flakyFile fails writes on demand, after writing half of what it is
// given, as a filling disk does.
type flakyFile struct {
	file
	fail  atomic.Bool
	fails chan struct{} // gets a value at each failed write, if there is room
}

func (f *flakyFile) Write(p []byte) (int, error) {
	if !f.fail.Load() {
		return f.file.Write(p)
	}
	cut := len(p) / 2
	for cut > 0 && p[cut-1] == '\n' { // stop mid-line, as a full disk may
		cut--
	}
	n, _ := f.file.Write(p[:cut])
	select {
	case f.fails <- struct{}{}:
	default:
	}
	return n, syscall.ENOSPC
}

func TestBrokenDisk(t *testing.T) {
	for _, heal := range []bool{true, false} {
		t.Run(fmt.Sprintf("heals=%v", heal), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			flaky := &flakyFile{fails: make(chan struct{}, 100)}
			var logs logBuffer
			l := mustOpen(t, Options{Path: path, Buffer: 8, Logger: logs.logger(), hooks: hooks{
				wrap: func(f file) file { flaky.file = f; return flaky },
			}})
			writeOK(t, l, 1, 3)
			flaky.fail.Store(true)
			accepted := 3
			for ; ; accepted++ {
				err := l.Write(record(accepted + 1))
				if errors.Is(err, ErrFull) {
					break
				}
				if err != nil || accepted > 10000 {
					t.Fatalf("Write(%d) on a broken disk: got %v, want ErrFull once the buffer fills", accepted+1, err)
				}
			}
			for range 3 { // a burst of retries
				select {
				case <-flaky.fails:
				case <-time.After(deadline):
					t.Fatal("the writer does not retry")
				}
			}
			if got := strings.Count(logs.String(), "audit trail: write failed"); got != 1 {
				t.Errorf("log: got %d errors for one burst of failed writes, want 1:\n%s", got, logs.String())
			}
			// The third failed write has begun, so the first two are counted.
			if got := value(t, l.m.errors); got < 2 {
				t.Errorf("toolgate_audit_write_errors_total: got %v, want at least 2", got)
			}
			if heal {
				flaky.fail.Store(false)
				if err := l.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if !strings.Contains(logs.String(), "audit trail: write works again") {
					t.Errorf("log: no recovery message:\n%s", logs.String())
				}
				rep := mustVerify(t, path)
				if rep.Records != accepted || len(rep.Warnings) != 0 {
					t.Errorf("got %d records, warnings %q; want every accepted record, %d, and no warnings", rep.Records, rep.Warnings, accepted)
				}
				return
			}
			err := l.Close()
			if err == nil || !strings.Contains(err.Error(), "records were not written") {
				t.Fatalf("Close on a broken disk: got %v, want an error saying how many records were not written", err)
			}
			// The next start finds the torn line and says so.
			writeRecords(t, Options{Path: path, Buffer: 8}, 100, 1)
			rep := mustVerify(t, path)
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "torn") {
				t.Errorf("warnings: got %q, want one about the torn record", rep.Warnings)
			}
		})
	}
}

func writeOK(t *testing.T, l *Log, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if err := l.Write(record(i)); err != nil {
			t.Fatalf("Write(%d): %v", i, err)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	const writers, each = 8, 250
	path := filepath.Join(t.TempDir(), "audit.log")
	l := mustOpen(t, Options{Path: path, Buffer: 64, MaxBytes: 128 << 10, MaxFiles: 100})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				for {
					err := l.Write(record(w*each + i))
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Error(err)
						return
					}
					runtime.Gosched() // the buffer is full: let the writer run
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + ".*")
	var chain []string
	for i := len(files); i >= 1; i-- {
		chain = append(chain, fmt.Sprintf("%s.%d", path, i))
	}
	chain = append(chain, path)
	rep := mustVerify(t, chain...)
	if rep.Records != writers*each || !rep.FromStart {
		t.Fatalf("got %d records (from start %v), want %d from the start", rep.Records, rep.FromStart, writers*each)
	}
	seen := map[string]bool{}
	for _, f := range chain {
		for _, line := range readLines(t, f) {
			if len(line) > 0 {
				seen[decode(t, line).RequestID] = true
			}
		}
	}
	if len(seen) != writers*each {
		t.Errorf("got %d distinct request ids, want %d", len(seen), writers*each)
	}
}

func TestWriteAfterClose(t *testing.T) {
	l := mustOpen(t, Options{Path: filepath.Join(t.TempDir(), "audit.log"), Buffer: 1})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(record(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: got %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	path := filepath.Join(t.TempDir(), "audit.log")
	writeRecords(t, Options{Path: path, Buffer: 8, Registerer: reg}, 1, 10) // 2 refused, 8 allowed
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, lp := range m.GetLabel() {
				name += "{" + lp.GetName() + "=" + lp.GetValue() + "}"
			}
			got[name] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"toolgate_audit_records_total{decision=allowed}": 8,
		"toolgate_audit_records_total{decision=refused}": 2,
		"toolgate_audit_records_total{decision=other}":   0,
		"toolgate_audit_records_dropped_total":           0,
		"toolgate_audit_write_errors_total":              0,
		"toolgate_audit_buffer_records":                  0,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metrics:\ngot  %v\nwant %v", got, want)
	}
	if _, err := Open(Options{Path: path, Buffer: 8, Registerer: reg}); err == nil || !strings.Contains(err.Error(), "registering metrics") {
		t.Errorf("Open with the metrics registered already: got %v, want a registration error", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no path", Options{Buffer: 1}, "no file"},
		{"no buffer", Options{Path: filepath.Join(dir, "a.log")}, "buffer is 0"},
		{"negative size", Options{Path: filepath.Join(dir, "a.log"), Buffer: 1, MaxBytes: -1}, "must not be negative"},
		{"path under a file", Options{Path: filepath.Join(notDir, "a.log"), Buffer: 1}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Open(tt.opts)
			if err == nil {
				l.Close()
				t.Fatalf("Open: got no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOversizedRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := mustOpen(t, Options{Path: path, Buffer: 4})
	r := record(1)
	r.Subject = strings.Repeat("x", maxLine)
	if err := l.Write(r); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, path)
	got := decode(t, readLines(t, path)[0])
	if rep.Records != 1 || got.RequestID != "req-0001" || !strings.Contains(got.Reason, "could not be written in full") {
		t.Errorf("got %d records, first %+v; want the record's stub with the reason", rep.Records, got)
	}
}

func TestStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	l, err := Open(Options{Path: "-", Buffer: 4})
	if err != nil {
		t.Fatal(err)
	}
	writeOK(t, l, 1, 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "captured.log")
	os.WriteFile(path, <-got, 0o600)
	rep := mustVerify(t, path)
	if rep.Records != 4 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "standard output") {
		t.Errorf("got %d records, warnings %q; want a restart record and 3 records", rep.Records, rep.Warnings)
	}
}

func TestWriteDoesNotAllocate(t *testing.T) {
	b := newBlocker()
	l := mustOpen(t, Options{Path: filepath.Join(t.TempDir(), "audit.log"), Buffer: 1000, DropWhenFull: true, hooks: hooks{batch: b.hook}})
	l.Write(record(0))
	<-b.entered
	defer close(b.released)
	r := record(1)
	if allocs := testing.AllocsPerRun(100, func() { l.Write(r) }); allocs != 0 {
		t.Errorf("Write allocates %v times per call, want 0", allocs)
	}
}

func TestRotationKeepsNoFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	writeRecords(t, Options{Path: path, Buffer: 8, MaxBytes: 2000, MaxFiles: 0}, 1, 30)
	if files, _ := filepath.Glob(path + ".*"); len(files) != 0 {
		t.Errorf("rotated files: got %q, want none (max files 0)", files)
	}
	rep := mustVerify(t, path)
	if rep.LastSeq != 30 || rep.FromStart || rep.Records == 30 {
		t.Errorf("got %d records, seq %d..%d, from start %v; want the newest records only, up to seq 30",
			rep.Records, rep.FirstSeq, rep.LastSeq, rep.FromStart)
	}
}

func TestRotationFailureKeepsWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.Mkdir(path+".new", 0o700); err != nil { // the new file cannot be created
		t.Fatal(err)
	}
	var logs logBuffer
	reg := prometheus.NewRegistry()
	writeRecords(t, Options{Path: path, Buffer: 8, MaxBytes: 2000, MaxFiles: 3, Logger: logs.logger(), Registerer: reg}, 1, 30)
	rep := mustVerify(t, path)
	if rep.Records != 30 || !rep.FromStart {
		t.Errorf("got %d records, from start %v; want all 30 in the current file", rep.Records, rep.FromStart)
	}
	if got := strings.Count(logs.String(), "audit trail: rotate failed"); got != 1 {
		t.Errorf("log: got %d rotation errors, want 1 (the next attempt waits a minute):\n%s", got, logs.String())
	}
}

func TestBrokenTailAcrossRotation(t *testing.T) {
	tests := []struct {
		name     string
		break_   func(t *testing.T, path string)
		wantWarn string
	}{
		{
			name: "rotated file torn, no current file",
			break_: func(t *testing.T, path string) {
				truncate(t, path, 40)
				os.Rename(path, path+".1")
			},
			wantWarn: "the writer restarted the chain explicitly at FILE line 1 (seq 10): previous file audit.log.1 ended with a torn record",
		},
		{
			name: "current file torn in its first line",
			break_: func(t *testing.T, path string) {
				os.Rename(path, path+".1")
				os.WriteFile(path, []byte(`{"time":"2026-11-25T`), 0o600)
			},
			wantWarn: "the writer restarted the chain explicitly at FILE line 2 (seq 11): previous file audit.log ended with a torn record at byte 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			writeRecords(t, Options{Path: path, Buffer: 8}, 1, 10)
			tt.break_(t, path)
			writeRecords(t, Options{Path: path, Buffer: 8}, 11, 3)
			rep := mustVerify(t, path+".1", path)
			want := strings.ReplaceAll(tt.wantWarn, "FILE", path)
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], want) {
				t.Errorf("warnings:\ngot  %q\nwant one containing %s", rep.Warnings, want)
			}
		})
	}
}

// TestReserveBeforeActing checks the call path's guarantee: room reserved
// before an action is there when its record comes, even if other writers
// fill the buffer meanwhile, and a full buffer refuses the reservation.
func TestReserveBeforeActing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	b := newBlocker()
	l := mustOpen(t, Options{Path: path, Buffer: 3, Registerer: prometheus.NewRegistry(), hooks: hooks{batch: b.hook}})
	if err := l.Write(record(1)); err != nil {
		t.Fatal(err)
	}
	<-b.entered // the writer holds record 1; the queue is empty
	res, err := l.Reserve()
	if err != nil {
		t.Fatalf("Reserve with room: %v", err)
	}
	released, err := l.Reserve()
	if err != nil {
		t.Fatalf("Reserve with room: %v", err)
	}
	released.Release()
	for i := 2; i <= 3; i++ { // fills the rest: one slot stays reserved
		if err := l.Write(record(i)); err != nil {
			t.Fatalf("Write(%d) with room: %v", i, err)
		}
	}
	if err := l.Write(record(9)); !errors.Is(err, ErrFull) {
		t.Fatalf("Write with every slot queued or reserved: got %v, want ErrFull", err)
	}
	if _, err := l.Reserve(); !errors.Is(err, ErrFull) {
		t.Fatalf("Reserve with every slot queued or reserved: got %v, want ErrFull", err)
	}
	if err := res.Commit(record(4)); err != nil {
		t.Fatalf("Commit into reserved room: %v", err)
	}
	close(b.released)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, path); rep.Records != 4 {
		t.Errorf("got %d records, want 4", rep.Records)
	}
}
