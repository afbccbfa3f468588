package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/host/audit"
)

// auditTrail writes n records to dir/audit.log, rotating after about
// maxBytes when it is not 0, and returns the path.
func auditTrail(t *testing.T, dir string, n int, maxBytes int64) string {
	t.Helper()
	path := filepath.Join(dir, "audit.log")
	l, err := audit.Open(audit.Options{Path: path, Buffer: n + 1, MaxBytes: maxBytes, MaxFiles: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := audit.Record{RequestID: fmt.Sprint(i), Method: "tools/call", Tool: "echo", Decision: audit.DecisionAllowed,
			Time: time.Date(2026, 11, 25, 19, 0, i, 0, time.UTC)}
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditCmd(t *testing.T) {
	dir := t.TempDir()
	good := auditTrail(t, filepath.Join(dir, "good"), 5, 0)
	rotated := auditTrail(t, filepath.Join(dir, "rotated"), 30, 1500)
	edited := auditTrail(t, filepath.Join(dir, "edited"), 5, 0)
	b, _ := os.ReadFile(edited)
	os.WriteFile(edited, bytes.Replace(b, []byte(`"request_id":"1"`), []byte(`"request_id":"7"`), 1), 0o600)
	torn := auditTrail(t, filepath.Join(dir, "torn"), 5, 0)
	st, _ := os.Stat(torn)
	os.Truncate(torn, st.Size()-20)
	restarted := auditTrail(t, filepath.Join(dir, "restarted"), 5, 0)
	st, _ = os.Stat(restarted)
	os.Truncate(restarted, st.Size()-20)
	auditTrail(t, filepath.Join(dir, "restarted"), 2, 0)

	var rotatedFiles []string
	for i := 5; i >= 1; i-- {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", rotated, i)); err == nil {
			rotatedFiles = append(rotatedFiles, fmt.Sprintf("%s.%d", rotated, i))
		}
	}
	if len(rotatedFiles) < 2 {
		t.Fatalf("rotation made %d files, want at least 2", len(rotatedFiles))
	}

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a regular expression
		wantStderr string // a regular expression
	}{
		{"no arguments", nil, 2, `^$`, `^usage: toolgate audit verify FILE`},
		{"help", []string{"help"}, 0, `^usage: toolgate audit verify FILE`, `^$`},
		{"unknown subcommand", []string{"check"}, 2, `^$`, `^toolgate audit: unknown subcommand "check"\n\nusage:`},
		{"no files", []string{"verify"}, 2, `^$`, `^toolgate audit verify: no files given\n`},
		{"flag", []string{"verify", "--strict", good}, 2, `^$`, `^toolgate audit verify: unknown flag --strict `},
		{"intact", []string{"verify", good}, 0,
			`^OK: 5 records in 1 file, seq 1\.\.5, 2026-11-25T19:00:00Z \.\. 2026-11-25T19:00:04Z\n$`, `^$`},
		{"rotated", append([]string{"verify", "--"}, append(rotatedFiles, rotated)...), 0,
			fmt.Sprintf(`^OK: \d+ records in %d files, seq \d+\.\.30, \S+ \.\. 2026-11-25T19:00:29Z\n`, len(rotatedFiles)+1), `^$`},
		{"rotated, a file missing", []string{"verify", rotatedFiles[0], rotated}, 1,
			`^FAIL: records \d+\.\.\d+ are missing: ` + regexp.QuoteMeta(rotated) + ` line 1 has seq \d+ and its prev does not match ` +
				regexp.QuoteMeta(rotatedFiles[0]) + ` line \d+ \(seq \d+\)\n  the \d+ records before it verified\n$`, `^$`},
		{"edited", []string{"verify", edited}, 1,
			`^FAIL: record 2 \(` + regexp.QuoteMeta(edited) + ` line 2\) was edited: its hash does not match its content\n  the 1 record before it verified\n$`, `^$`},
		{"torn", []string{"verify", torn}, 1,
			`^FAIL: ` + regexp.QuoteMeta(torn) + ` line 5 \(byte \d+\) is a torn record: the file ends in the middle of it, with no newline\n`, `^$`},
		{"restarted", []string{"verify", restarted}, 0,
			`^OK: 7 records in 1 file, seq 1\.\.7, .*\nWARNING: ` + regexp.QuoteMeta(restarted) + ` line 5 is not a JSON record: .*; the writer restarted the chain explicitly at ` +
				regexp.QuoteMeta(restarted) + ` line 6 \(seq 5\): previous file audit.log ended with a torn record at byte \d+ .*\n$`, `^$`},
		{"missing file", []string{"verify", filepath.Join(dir, "nope.log")}, 1, `^FAIL: open .*nope.log: no such file or directory\n$`, `^$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := auditCmd(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d", code, tt.wantCode)
			}
			if !regexp.MustCompile(tt.wantStdout).MatchString(stdout.String()) {
				t.Errorf("stdout:\ngot  %q\nwant %s", stdout.String(), tt.wantStdout)
			}
			if !regexp.MustCompile(tt.wantStderr).MatchString(stderr.String()) {
				t.Errorf("stderr:\ngot  %q\nwant %s", stderr.String(), tt.wantStderr)
			}
			if t.Failed() {
				return
			}
			t.Log(strings.TrimSpace(stdout.String() + stderr.String()))
		})
	}
}
