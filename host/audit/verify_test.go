package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestWriteVerify(t *testing.T) {
	start := time.Now()
	path := trail(t, 50)
	rep := mustVerify(t, path)
	if rep.Records != 50 || rep.FirstSeq != 1 || rep.LastSeq != 50 || !rep.FromStart || len(rep.Warnings) != 0 {
		t.Errorf("report: got %d records, seq %d..%d, from start %v, warnings %q; want 50 records, seq 1..50, from start, no warnings",
			rep.Records, rep.FirstSeq, rep.LastSeq, rep.FromStart, rep.Warnings)
	}
	if rep.FirstTime.Before(start.Add(-time.Second)) || rep.LastTime.Before(rep.FirstTime) {
		t.Errorf("report times: got %v .. %v, want from about %v on", rep.FirstTime, rep.LastTime, start)
	}
	lines := readLines(t, path)
	if got := string(lines[len(lines)-1]); got != "" {
		t.Errorf("the file ends with %q, want a newline", got)
	}
	r := decode(t, lines[4])
	want := record(5)
	want.Time, want.Seq, want.Prev, want.Hash = r.Time, 5, r.Prev, r.Hash
	if fmt.Sprint(r) != fmt.Sprint(want) {
		t.Errorf("record 5: got %+v, want %+v", r, want)
	}
	if r.Time.Location() != time.UTC || !strings.Contains(string(lines[4]), `"time":"`+r.Time.Format(time.RFC3339Nano)+`"`) {
		t.Errorf("record 5's time is not written in UTC, RFC 3339 with nanoseconds: %s", lines[4])
	}
}

// TestChainDefinition checks the files against the definition in the
// package documentation, independently of checkLine.
func TestChainDefinition(t *testing.T) {
	path := trail(t, 10)
	hashField := regexp.MustCompile(`,"hash":"([0-9a-f]{64})"}$`)
	prev := ""
	for i, raw := range readLines(t, path)[:10] {
		line := strings.TrimSuffix(string(raw), "\n")
		m := hashField.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d does not end with the hash field: %s", i+1, line)
		}
		content := strings.TrimSuffix(line, m[0]) + `,"hash":""}`
		if got, want := m[1], sha(content); got != want {
			t.Errorf("line %d: hash %s, want SHA-256 of the line with an empty hash, %s", i+1, got, want)
		}
		r := decode(t, raw)
		if r.Seq != uint64(i+1) || r.Prev != prev {
			t.Errorf("line %d: seq %d prev %q, want seq %d prev %q", i+1, r.Seq, r.Prev, i+1, prev)
		}
		if !strings.HasSuffix(line, fmt.Sprintf(`"seq":%d,"prev":"%s","hash":"%s"}`, r.Seq, prev, m[1])) {
			t.Errorf("line %d: the chain fields are not last, in the order seq, prev, hash: %s", i+1, line)
		}
		prev = sha(line)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestVerifyDetectsTampering(t *testing.T) {
	const n = 20
	tests := []struct {
		name   string
		change func(t *testing.T, lines [][]byte) [][]byte // lines[i] is record i+1, with its newline
		line   int
		seq    uint64
		want   string // the error, with FILE for the path
	}{
		{
			name: "one byte of a field value",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[4] = bytes.Replace(lines[4], []byte("req-0005"), []byte("req-0006"), 1)
				return lines
			},
			line: 5, seq: 5,
			want: "record 5 (FILE line 5) was edited: its hash does not match its content",
		},
		{
			name: "the hash itself",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				i := len(lines[6]) - 4 // the last hex digit, before `"}` and "\n"
				if lines[6][i] == '0' {
					lines[6][i] = '1'
				} else {
					lines[6][i] = '0'
				}
				return lines
			},
			line: 7, seq: 7,
			want: "record 7 (FILE line 7) was edited: its hash does not match its content",
		},
		{
			name: "an edit that breaks the JSON",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[2] = bytes.Replace(lines[2], []byte(`"subject":`), []byte(`"subject" `), 1)
				return lines
			},
			line: 3,
			want: "FILE line 3 was edited: its hash does not match its content (and it is no longer valid JSON)",
		},
		{
			name:   "deleted record",
			change: func(t *testing.T, lines [][]byte) [][]byte { return append(lines[:7], lines[8:]...) },
			line:   8, seq: 9,
			want: "record 8 is missing: FILE line 8 has seq 9 and its prev does not match line 7 (seq 7)",
		},
		{
			name:   "deleted records",
			change: func(t *testing.T, lines [][]byte) [][]byte { return append(lines[:7], lines[10:]...) },
			line:   8, seq: 11,
			want: "records 8..10 are missing: FILE line 8 has seq 11 and its prev does not match line 7 (seq 7)",
		},
		{
			name: "swapped records",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[9], lines[10] = lines[10], lines[9]
				return lines
			},
			line: 10, seq: 11,
			want: "records out of order at FILE line 10: seq 11 comes before seq 10 (line 11)",
		},
		{
			name: "record moved back",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				moved := lines[3]
				lines = append(lines[:3], lines[4:]...)
				return append(lines[:12], append([][]byte{moved}, lines[12:]...)...)
			},
			line: 4, seq: 5,
			want: "records out of order at FILE line 4: seq 5 comes before seq 4 (line 13)",
		},
		{
			name: "inserted record with a recomputed hash",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				forged := reseal(t, lines[12], func(r *Record) { r.RequestID, r.Prev = "forged", sha("anything") })
				return append(lines[:12], append([][]byte{forged}, lines[12:]...)...)
			},
			line: 13, seq: 13,
			want: "record 13 (FILE line 13) does not link to line 12 (seq 12): its prev is not that line's SHA-256, so one of the two was replaced or inserted",
		},
		{
			name: "inserted record that links, and shifts the seq",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				forged := reseal(t, lines[12], func(r *Record) { r.RequestID = "forged" })
				return append(lines[:13], append([][]byte{forged}, lines[13:]...)...)
			},
			line: 14, seq: 13,
			want: "record 13 appears twice: FILE line 14 repeats the seq of line 13",
		},
		{
			name: "replaced record",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[15] = reseal(t, lines[15], func(r *Record) { r.Decision = DecisionAllowed; r.Tool = "rm" })
				return lines
			},
			line: 17, seq: 17,
			want: "record 17 (FILE line 17) does not link to line 16 (seq 16): its prev is not that line's SHA-256, so one of the two was replaced or inserted",
		},
		{
			name: "seq changed and hash recomputed",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[5] = reseal(t, lines[5], func(r *Record) { r.Seq = 60 })
				return lines
			},
			line: 6, seq: 60,
			want: "records 6..59 are missing: FILE line 6 has seq 60 but links to line 5 (seq 5): its seq was changed and its hash recomputed",
		},
		{
			name: "new chain started silently",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[10] = reseal(t, lines[10], func(r *Record) { r.Seq, r.Prev = 1, "" })
				return lines
			},
			line: 11, seq: 1,
			want: "FILE line 11 starts a new chain (seq 1, empty prev) after seq 10 at line 10, with no restart record: the chain is broken",
		},
		{
			name: "truncated last line",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[n-1] = lines[n-1][:len(lines[n-1])-30]
				return lines
			},
			line: n,
			want: "FILE line 20 (byte OFFSET) is a torn record: the file ends in the middle of it, with no newline",
		},
		{
			name: "line that is not JSON",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[6] = []byte("garbage\n")
				return lines
			},
			line: 7,
			want: "FILE line 7 is not a JSON record: invalid character 'g' looking for beginning of value at byte 1 of the line",
		},
		{
			name: "empty line",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				return append(lines[:6], append([][]byte{[]byte("\n")}, lines[6:]...)...)
			},
			line: 7,
			want: "FILE line 7 is not a JSON record: the line is empty",
		},
		{
			name: "JSON without the chain",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[1] = []byte(`{"method":"tools/call","seq":2}` + "\n")
				return lines
			},
			line: 2,
			want: `FILE line 2 is not an audit record: it does not end with a "hash" field of 64 lowercase hex digits`,
		},
		{
			name: "refused request named audit/restart after a broken line",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[6] = []byte("garbage\n")
				lines[7] = reseal(t, lines[7], func(r *Record) {
					r.Method, r.Decision, r.Seq, r.Prev = MethodRestart, DecisionRefused, 7, sha("garbage")
				})
				return lines
			},
			line: 7,
			want: "FILE line 7 is not a JSON record",
		},
		{
			name: "restart record that does not follow a broken line",
			change: func(t *testing.T, lines [][]byte) [][]byte {
				lines[8] = reseal(t, lines[8], func(r *Record) { r.Method, r.Prev = MethodRestart, sha("x") })
				return lines
			},
			line: 9, seq: 9,
			want: "record 9 (FILE line 9) does not link to line 8 (seq 8)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := trail(t, n)
			lines := readLines(t, path)[:n]
			lines = tt.change(t, lines)
			writeFile(t, path, lines)
			offset := 0
			for _, l := range lines[:len(lines)-1] {
				offset += len(l)
			}
			want := strings.NewReplacer("FILE", path, "OFFSET", fmt.Sprint(offset)).Replace(tt.want)

			_, err := Verify(path)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify: got %v, want a *VerifyError: %s", err, want)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Verify:\ngot  %v\nwant %s", err, want)
			}
			t.Log(err)
			if ve.File != path || ve.Line != tt.line || ve.Seq != tt.seq {
				t.Errorf("location: got %s line %d seq %d, want %s line %d seq %d", ve.File, ve.Line, ve.Seq, path, tt.line, tt.seq)
			}
		})
	}
}

func TestVerifyAcceptsOddities(t *testing.T) {
	t.Run("last record without its newline", func(t *testing.T) {
		path := trail(t, 5)
		b, _ := os.ReadFile(path)
		os.WriteFile(path, b[:len(b)-1], 0o600)
		rep := mustVerify(t, path)
		if rep.Records != 5 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "ends without a newline after record 5") {
			t.Errorf("got %d records, warnings %q; want 5 and a warning about the newline", rep.Records, rep.Warnings)
		}
	})
	t.Run("refused request named audit/restart", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		l := mustOpen(t, Options{Path: path, Buffer: 4})
		r := record(5)
		r.Method = MethodRestart
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
		l.Close()
		if rep := mustVerify(t, path); rep.Records != 1 || len(rep.Warnings) != 0 {
			t.Errorf("got %d records, warnings %q; want 1 and no warnings: only the writer restarts the chain", rep.Records, rep.Warnings)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		os.WriteFile(path, nil, 0o600)
		if rep := mustVerify(t, path); rep.Records != 0 {
			t.Errorf("got %d records, want 0", rep.Records)
		}
	})
	t.Run("no files", func(t *testing.T) {
		if _, err := Verify(); err == nil {
			t.Error("Verify(): got no error, want one")
		}
	})
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		if _, err := Verify(path); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("got %v, want a not-exist error naming %s", err, path)
		}
	})
}

func TestSilentNewChainIsAnError(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeRecords(t, Options{Path: a, Buffer: 8}, 1, 3)
	writeRecords(t, Options{Path: b, Buffer: 8}, 1, 3)
	_, err := Verify(a, b)
	want := b + " line 1 starts a new chain (seq 1, empty prev) after seq 3 at " + a + " line 3"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Verify(a, b):\ngot  %v\nwant %s", err, want)
	}
}
