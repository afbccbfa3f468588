package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// resumePoint is where a new writer picks up the chain.
type resumePoint struct {
	seq     uint64 // of the last intact record
	prev    string // hex SHA-256 of the file's last line
	newline bool   // the current file ends in a line without "\n"
	restart string // when not "", the reason of a MethodRestart record to write first
}

// resume reads the end of the current file, or of path.1 when the current
// file is missing or empty (a crash between the two steps of a rotation),
// and says how to continue the chain.
func (l *Log) resume() (resumePoint, error) {
	path := l.opts.Path
	src, inCurrent := path, true
	t, err := readTail(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return resumePoint{}, fmt.Errorf("audit: reading the end of %s: %w", path, err)
	}
	if t.last == nil {
		src, inCurrent = rotated(path, 1), false
		if t, err = readTail(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return resumePoint{}, fmt.Errorf("audit: reading the end of %s: %w", src, err)
		}
	}
	if t.last == nil {
		return resumePoint{}, nil // a new chain
	}
	rp := resumePoint{prev: lineSum(t.last), newline: inCurrent && !t.terminated}
	rec, lerr := checkLine(t.last)
	if lerr == nil {
		rp.seq = rec.Seq
		if rp.newline {
			l.log.Warn("the audit trail's last record had no newline; adding it", "file", src, "seq", rec.Seq)
		}
		return rp, nil
	}
	// The last line is broken: start an explicit new segment after it.
	rp.seq = l.seqBefore(t, inCurrent)
	what := fmt.Sprintf("a torn record at byte %d (%d bytes and no newline: the writer stopped mid-write, and records queued then were lost)",
		t.lastOff, len(t.last))
	if t.terminated {
		what = fmt.Sprintf("a record at byte %d that does not verify (%v)", t.lastOff, lerr)
	}
	rp.restart = fmt.Sprintf("previous file %s ended with %s; the chain restarts here", filepath.Base(src), what)
	l.log.Warn("the audit trail ended with a broken record: starting a new chain segment that records the break",
		"file", src, "byte", t.lastOff, "torn", !t.terminated, "error", lerr, "seq", rp.seq+1)
	return rp, nil
}

// seqBefore is the seq of the line before a broken last line: of the line
// before it in the same file, or of path.1's last line when the broken line
// is the current file's first. 0 when there is no such intact record.
func (l *Log) seqBefore(t tail, inCurrent bool) uint64 {
	before := t.before
	if before == nil && t.lastOff == 0 && inCurrent {
		if t1, err := readTail(rotated(l.opts.Path, 1)); err == nil {
			before = t1.last
		}
	}
	if before == nil {
		return 0
	}
	if r, err := checkLine(before); err == nil {
		return r.Seq
	}
	return 0
}

// tail is the end of a file.
type tail struct {
	last       []byte // the last line, without "\n"; nil when the file is empty
	lastOff    int64  // where it starts
	terminated bool   // the file ends in "\n"
	before     []byte // the line before the last; nil when there is none
}

// maxTail bounds how far readTail reads back: two lines of maxLine.
const maxTail = 2*maxLine + 2

// readTail reads the last two lines of a file, seeking from its end.
func readTail(path string) (tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return tail{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return tail{}, err
	}
	size := st.Size()
	if size == 0 {
		return tail{}, nil
	}
	for n := int64(64 << 10); ; n *= 2 {
		n = min(n, size, maxTail)
		start := size - n
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return tail{}, err
		}
		var t tail
		body := buf
		if t.terminated = body[len(body)-1] == '\n'; t.terminated {
			body = body[:len(body)-1]
		}
		whole := start == 0
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 && !whole {
			if n == maxTail {
				return tail{}, fmt.Errorf("the file ends in a line longer than %d bytes, which is not an audit record: move the file aside", maxLine)
			}
			continue
		}
		t.last, t.lastOff = body[i+1:], start+int64(i+1)
		if i < 0 {
			return t, nil // a file of one line
		}
		j := bytes.LastIndexByte(body[:i], '\n')
		if j < 0 && !whole && n < maxTail {
			continue
		}
		if j >= 0 || whole {
			t.before = body[j+1 : i]
		}
		return t, nil
	}
}
