package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Record is one audited event: a tool call, or a refused request.
type Record struct {
	Time         time.Time `json:"time"` // set by Write if zero; written in UTC, RFC 3339 with nanoseconds
	RequestID    string    `json:"request_id"`
	Subject      string    `json:"subject,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	Issuer       string    `json:"issuer,omitempty"`
	Method       string    `json:"method"` // tools/call, or the refused method
	Tool         string    `json:"tool,omitempty"`
	Plugin       string    `json:"plugin,omitempty"`
	PluginSHA256 string    `json:"plugin_sha256,omitempty"`
	Decision     string    `json:"decision"`          // DecisionAllowed or DecisionRefused; "" for the writer's own records
	Reason       string    `json:"reason,omitempty"`  // refusal reason (no_token, insufficient_scope, ...)
	Scopes       []string  `json:"scopes,omitempty"`  // the scopes the call used (the tool's required scopes)
	Outcome      string    `json:"outcome,omitempty"` // "ok" | "tool_error" | "invalid_arguments" | "timeout" | "unavailable" | "error" | "input_required" | "invalid_input" | "missing_capability"
	DurationMS   float64   `json:"duration_ms,omitempty"`
	ArgsSHA256   string    `json:"args_sha256,omitempty"` // digest of the arguments JSON, never the arguments

	// The chain fields are set by the writer; whatever the caller puts
	// there is overwritten. They must stay the last fields: see the
	// package documentation.
	Seq  uint64 `json:"seq"`
	Prev string `json:"prev"` // hex SHA-256 of the previous line; "" for the first record of a chain
	Hash string `json:"hash"` // hex SHA-256 of this line with the hash value removed
}

// Decisions.
const (
	DecisionAllowed = "allowed"
	DecisionRefused = "refused"
)

// Methods of the records the writer adds itself.
const (
	// MethodRestart starts a new chain segment after a break the writer
	// found (a torn or unverifiable last line) or, with prev "", a new chain
	// on standard output. Reason says why.
	MethodRestart = "audit/restart"
	// MethodDropped says, in Reason, how many records were dropped because
	// the buffer was full.
	MethodDropped = "audit/dropped"
)

// maxLine bounds a line: longer lines are not records. The writer shrinks
// a record that would be longer.
const maxLine = 1 << 20

// The stored form of the hash field, which ends every line.
var (
	hashPrefix = []byte(`,"hash":"`)
	lineEnd    = []byte(`"}`)
	emptyHash  = []byte(`,"hash":""}`)
)

const hashHexLen = 2 * sha256.Size

// sealer encodes records into sealed lines. It is not safe for concurrent
// use; the writer goroutine owns one.
type sealer struct {
	buf  bytes.Buffer
	enc  *json.Encoder
	line []byte
}

func newSealer() *sealer {
	s := &sealer{}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}

// seal returns the line of r, without its "\n", with the hash filled in,
// and the line's SHA-256 (the next record's prev). r.Seq and r.Prev must be
// set. The line is valid until the next call.
func (s *sealer) seal(r *Record) ([]byte, [sha256.Size]byte, error) {
	r.Hash = ""
	if math.IsNaN(r.DurationMS) || math.IsInf(r.DurationMS, 0) {
		r.DurationMS = 0 // JSON has no NaN or Inf
	}
	s.buf.Reset()
	if err := s.enc.Encode(r); err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	content := bytes.TrimSuffix(s.buf.Bytes(), []byte("\n"))
	if !bytes.HasSuffix(content, emptyHash) {
		return nil, [sha256.Size]byte{}, errors.New("the encoded record does not end with the hash field")
	}
	sum := sha256.Sum256(content)
	s.line = append(s.line[:0], content[:len(content)-len(lineEnd)]...)
	s.line = hex.AppendEncode(s.line, sum[:])
	s.line = append(s.line, lineEnd...)
	return s.line, sha256.Sum256(s.line), nil
}

// lineError says why a line is not an intact record.
type lineError struct {
	kind   lineErrorKind
	seq    uint64 // the record's seq when it could be read, else 0
	detail string
}

type lineErrorKind int

const (
	notJSON   lineErrorKind = iota // does not decode as a JSON object
	notSealed                      // JSON, but no hash field at the end, or no seq
	edited                         // the hash does not match the content
	tooLong                        // longer than maxLine
)

func (e *lineError) Error() string {
	switch e.kind {
	case notJSON:
		return "not a JSON record: " + e.detail
	case notSealed:
		return "not an audit record: " + e.detail
	case tooLong:
		return fmt.Sprintf("longer than %d bytes: not an audit record", maxLine)
	}
	if e.detail != "" {
		return "edited: its hash does not match its content (" + e.detail + ")"
	}
	return "edited: its hash does not match its content"
}

// chainFields are the fields checkLine decodes: what verifying needs.
type chainFields struct {
	Time     time.Time `json:"time"`
	Method   string    `json:"method"`
	Decision string    `json:"decision"`
	Reason   string    `json:"reason"`
	Seq      uint64    `json:"seq"`
	Prev     string    `json:"prev"`
}

// isRestart reports whether the writer wrote r to restart the chain. A
// refused request's method is the client's choice, so the writer's own
// records are told apart by their empty decision too.
func (r *chainFields) isRestart() bool { return r.Method == MethodRestart && r.Decision == "" }

// checkLine checks that line (without its "\n") is an intact record and
// decodes the fields of it that the chain needs.
func checkLine(line []byte) (chainFields, *lineError) {
	var r chainFields
	if len(line) > maxLine {
		return r, &lineError{kind: tooLong}
	}
	sealed := len(line) > len(hashPrefix)+hashHexLen+len(lineEnd) &&
		bytes.HasSuffix(line, lineEnd) &&
		bytes.HasSuffix(line[:len(line)-len(lineEnd)-hashHexLen], hashPrefix) &&
		isLowerHex(line[len(line)-len(lineEnd)-hashHexLen:len(line)-len(lineEnd)])
	jsonErr := json.Unmarshal(line, &r)
	if !sealed {
		if jsonErr != nil {
			return r, &lineError{kind: notJSON, detail: jsonErrorText(line, jsonErr)}
		}
		return r, &lineError{kind: notSealed, detail: `it does not end with a "hash" field of 64 lowercase hex digits`}
	}
	if !contentMatches(line) {
		if jsonErr != nil {
			return r, &lineError{kind: edited, detail: "and it is no longer valid JSON"}
		}
		return r, &lineError{kind: edited, seq: r.Seq}
	}
	if jsonErr != nil {
		return r, &lineError{kind: notJSON, detail: jsonErrorText(line, jsonErr)}
	}
	if r.Seq == 0 {
		return r, &lineError{kind: notSealed, detail: "it has no seq"}
	}
	return r, nil
}

// contentMatches reports whether a sealed line's hash is the SHA-256 of
// the line with the hash digits removed.
func contentMatches(line []byte) bool {
	end := len(line) - len(lineEnd)
	h := sha256.New()
	h.Write(line[:end-hashHexLen])
	h.Write(lineEnd)
	var want [hashHexLen]byte
	hex.Encode(want[:], h.Sum(nil))
	return bytes.Equal(want[:], line[end-hashHexLen:end])
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func jsonErrorText(line []byte, err error) string {
	if len(bytes.TrimSpace(line)) == 0 {
		return "the line is empty"
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v at byte %d of the line", err, syn.Offset)
	}
	return err.Error()
}

func lineSum(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}
