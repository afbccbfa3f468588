package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Report says what Verify checked.
type Report struct {
	Files   []string
	Records int // intact records, the writer's own included
	// FirstSeq and FirstTime are the first record's, LastSeq and LastTime
	// the last's.
	FirstSeq, LastSeq   uint64
	FirstTime, LastTime time.Time
	// FromStart is true when the first record begins a chain (seq 1, empty
	// prev), so no earlier records were left out. Otherwise the files
	// begin mid-chain: older files were rotated away, or not given.
	FromStart bool
	// Warnings are breaks the writer recorded itself (explicit restarts
	// after a torn or unverifiable line) and oddities that lose nothing.
	Warnings []string
}

// VerifyError says where the chain breaks and how.
type VerifyError struct {
	File    string
	Line    int    // 1-based
	Seq     uint64 // the seq of the record at File:Line, when it could be read
	Problem string // the whole message, location included
}

func (e *VerifyError) Error() string { return e.Problem }

// Verify checks the files as one chain, in the order given: rotated files
// oldest first, then the current one. It returns an error, a *VerifyError
// when the chain is broken, at the first problem; the report then covers
// the records before it.
func Verify(paths ...string) (Report, error) {
	rep := Report{Files: paths}
	if len(paths) == 0 {
		return rep, errors.New("audit: no files to verify")
	}
	v := &verifier{rep: &rep, lines: &lineReader{paths: paths}}
	defer v.lines.close()
	return rep, v.run()
}

type verifier struct {
	rep   *Report
	lines *lineReader
	have  bool       // a record was accepted
	prev  *chainLine // the last accepted record's line
	sum   string     // its hex SHA-256, the next record's prev
	seq   uint64     // its seq
}

func (v *verifier) run() error {
	for {
		cl, err := v.lines.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rec, lerr := cl.check()
		if lerr != nil {
			err = v.broken(cl, lerr)
		} else {
			err = v.link(cl, rec)
		}
		if err != nil {
			return err
		}
	}
}

// broken handles a line that is not an intact record: an error, unless the
// next line is the writer's explicit restart after it.
func (v *verifier) broken(cl *chainLine, lerr *lineError) error {
	problem := describe(cl, lerr)
	if next, err := v.lines.peek(); err == nil {
		r, nerr := next.check()
		if nerr == nil && r.isRestart() && r.Prev == lineSum(cl.data) && (!v.have || r.Seq == v.seq+1) {
			v.lines.next()
			v.warn("%s; the writer restarted the chain explicitly at %s (seq %d): %s", problem, next.where(), r.Seq, r.Reason)
			v.accept(next, r)
			return nil
		}
	}
	return &VerifyError{File: cl.file, Line: cl.no, Seq: lerr.seq, Problem: problem}
}

func describe(cl *chainLine, lerr *lineError) string {
	switch {
	case !cl.terminated && !cl.tooLong:
		return fmt.Sprintf("%s (byte %d) is a torn record: the file ends in the middle of it, with no newline", cl.where(), cl.off)
	case lerr.kind == edited && lerr.seq != 0:
		return fmt.Sprintf("record %d (%s) was %v", lerr.seq, cl.where(), lerr)
	case lerr.kind == edited:
		return fmt.Sprintf("%s was %v", cl.where(), lerr)
	}
	return fmt.Sprintf("%s is %v", cl.where(), lerr)
}

// link checks that an intact record follows the previous one.
func (v *verifier) link(cl *chainLine, r chainFields) error {
	if !cl.terminated {
		v.warn("%s: the file ends without a newline after record %d (the write of the newline was cut short)", cl.file, r.Seq)
	}
	restart := r.isRestart()
	want := v.seq + 1
	switch {
	case !v.have:
		if restart {
			v.warn("the chain starts with an explicit restart at %s (seq %d): %s", cl.where(), r.Seq, r.Reason)
		}
	case r.Prev == "" && restart:
		v.warn("%s starts a new chain explicitly (seq %d, after seq %d): %s", cl.where(), r.Seq, v.seq, r.Reason)
	case r.Prev == "":
		return v.fail(cl, r.Seq, "%s starts a new chain (seq %d, empty prev) after seq %d at %s, with no restart record: the chain is broken",
			cl.where(), r.Seq, v.seq, v.prevWhere(cl))
	case r.Seq == want && r.Prev == v.sum:
		if restart {
			v.warn("explicit restart at %s (seq %d): %s", cl.where(), r.Seq, r.Reason)
		}
	case r.Seq == want:
		return v.fail(cl, r.Seq, "record %d (%s) does not link to %s (seq %d): its prev is not that line's SHA-256, so one of the two was replaced or inserted",
			r.Seq, cl.where(), v.prevWhere(cl), v.seq)
	case r.Seq == v.seq:
		return v.fail(cl, r.Seq, "record %d appears twice: %s repeats the seq of %s", r.Seq, cl.where(), v.prevWhere(cl))
	case r.Seq < want:
		hint := ""
		if cl.no == 1 && cl.file != v.prev.file {
			hint = "; give the files oldest first"
		}
		return v.fail(cl, r.Seq, "records out of order at %s: seq %d follows seq %d (%s)%s", cl.where(), r.Seq, v.seq, v.prevWhere(cl), hint)
	default:
		if at := v.find(cl, want); at != "" {
			return v.fail(cl, r.Seq, "records out of order at %s: seq %d comes before seq %d (%s)", cl.where(), r.Seq, want, at)
		}
		missing := fmt.Sprintf("record %d is missing", want)
		if r.Seq-want > 1 {
			missing = fmt.Sprintf("records %d..%d are missing", want, r.Seq-1)
		}
		if r.Prev == v.sum {
			return v.fail(cl, r.Seq, "%s: %s has seq %d but links to %s (seq %d): its seq was changed and its hash recomputed",
				missing, cl.where(), r.Seq, v.prevWhere(cl), v.seq)
		}
		return v.fail(cl, r.Seq, "%s: %s has seq %d and its prev does not match %s (seq %d)",
			missing, cl.where(), r.Seq, v.prevWhere(cl), v.seq)
	}
	v.accept(cl, r)
	return nil
}

func (v *verifier) accept(cl *chainLine, r chainFields) {
	if !v.have {
		v.rep.FirstSeq, v.rep.FirstTime = r.Seq, r.Time
		v.rep.FromStart = r.Seq == 1 && r.Prev == ""
	}
	v.have, v.prev, v.sum, v.seq = true, cl, lineSum(cl.data), r.Seq
	v.rep.Records++
	v.rep.LastSeq, v.rep.LastTime = r.Seq, r.Time
}

// find looks for the record with seq after cl, and says where it is.
func (v *verifier) find(cl *chainLine, seq uint64) string {
	lr := &lineReader{paths: v.lines.paths[cl.fi:]}
	defer lr.close()
	for {
		l, err := lr.next()
		if err != nil {
			return ""
		}
		if l.fi == 0 && l.no <= cl.no {
			continue
		}
		var r struct{ Seq uint64 }
		if json.Unmarshal(l.data, &r) == nil && r.Seq == seq {
			if l.file == cl.file {
				return fmt.Sprintf("line %d", l.no)
			}
			return l.where()
		}
	}
}

// prevWhere names the previous record's line, briefly when it is in cl's
// file.
func (v *verifier) prevWhere(cl *chainLine) string {
	if v.prev.file == cl.file {
		return fmt.Sprintf("line %d", v.prev.no)
	}
	return v.prev.where()
}

func (v *verifier) warn(format string, args ...any) {
	v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf(format, args...))
}

func (v *verifier) fail(cl *chainLine, seq uint64, format string, args ...any) error {
	return &VerifyError{File: cl.file, Line: cl.no, Seq: seq, Problem: fmt.Sprintf(format, args...)}
}

// chainLine is one line of the files being verified.
type chainLine struct {
	file       string
	fi         int // index of file in the reader's paths
	no         int // 1-based
	off        int64
	data       []byte // without "\n"; nil when tooLong
	terminated bool
	tooLong    bool
}

func (cl *chainLine) where() string { return fmt.Sprintf("%s line %d", cl.file, cl.no) }

func (cl *chainLine) check() (chainFields, *lineError) {
	if cl.tooLong {
		return chainFields{}, &lineError{kind: tooLong}
	}
	return checkLine(cl.data)
}

// lineReader reads the lines of several files in turn, with one line of
// lookahead.
type lineReader struct {
	paths   []string
	fi      int // the file being read
	f       *os.File
	r       *bufio.Reader
	no      int
	off     int64
	peeked  *chainLine
	peekErr error
}

func (lr *lineReader) next() (*chainLine, error) {
	if lr.peeked != nil || lr.peekErr != nil {
		l, err := lr.peeked, lr.peekErr
		lr.peeked, lr.peekErr = nil, nil
		return l, err
	}
	return lr.read()
}

func (lr *lineReader) peek() (*chainLine, error) {
	if lr.peeked == nil && lr.peekErr == nil {
		lr.peeked, lr.peekErr = lr.read()
	}
	return lr.peeked, lr.peekErr
}

func (lr *lineReader) read() (*chainLine, error) {
	for {
		if lr.f == nil {
			if lr.fi >= len(lr.paths) {
				return nil, io.EOF
			}
			f, err := os.Open(lr.paths[lr.fi])
			if err != nil {
				return nil, err
			}
			lr.f, lr.r, lr.no, lr.off = f, bufio.NewReaderSize(f, 64<<10), 0, 0
		}
		l, err := lr.readLine()
		if errors.Is(err, io.EOF) {
			lr.f.Close()
			lr.f = nil
			lr.fi++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", lr.paths[lr.fi], err)
		}
		return l, nil
	}
}

// readLine reads one line; io.EOF at the end of the file.
func (lr *lineReader) readLine() (*chainLine, error) {
	l := &chainLine{file: lr.paths[lr.fi], fi: lr.fi, off: lr.off}
	var n int64
	for {
		chunk, err := lr.r.ReadSlice('\n')
		n += int64(len(chunk))
		if !l.tooLong {
			if len(l.data)+len(chunk) > maxLine+1 {
				l.tooLong, l.data = true, nil
			} else {
				l.data = append(l.data, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
		l.terminated = true
		if !l.tooLong {
			l.data = l.data[:len(l.data)-1]
		}
		break
	}
	lr.no++
	l.no = lr.no
	lr.off += n
	return l, nil
}

func (lr *lineReader) close() {
	if lr.f != nil {
		lr.f.Close()
		lr.f = nil
	}
}
