//go:build unix

package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The audit trail end to end: the real host writes it, `toolgate audit
// verify` checks it.
//
// Rotation is not driven through the host here: audit.max_bytes is at least
// 1 MiB, about two thousand records, which is slow to fill in a test. The unit
// tests of host/audit cover rotation, and verifying rotated files as one
// chain, with small limits.

// auditConfig is the rest of the config of the audit tests' host: echo and
// the probe, every tool with scopes of its own, and a short timeout for
// slow.
const auditConfig = `
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[[plugins]]
name = "probe"
path = "@BIN@/probe"

[tools.echo]
scopes = ["tools:echo"]

[tools.fail]
scopes = ["probe:run"]

[tools.caller]
scopes = ["probe:run"]

[tools.slow]
scopes = ["probe:run", "probe:slow"]
call_timeout = "300ms"
`

// auditLine is one record of the trail as the tests read it. DurationMS is
// a pointer, so that a record without the field is told apart from one
// with 0.
type auditLine struct {
	Time         time.Time `json:"time"`
	RequestID    string    `json:"request_id"`
	Subject      string    `json:"subject"`
	ClientID     string    `json:"client_id"`
	Issuer       string    `json:"issuer"`
	Method       string    `json:"method"`
	Tool         string    `json:"tool"`
	Plugin       string    `json:"plugin"`
	PluginSHA256 string    `json:"plugin_sha256"`
	Decision     string    `json:"decision"`
	Reason       string    `json:"reason"`
	Scopes       []string  `json:"scopes"`
	Outcome      string    `json:"outcome"`
	DurationMS   *float64  `json:"duration_ms"`
	ArgsSHA256   string    `json:"args_sha256"`
	Seq          uint64    `json:"seq"`
	Prev         string    `json:"prev"`
	Hash         string    `json:"hash"`

	raw  []byte   // the line, without its "\n"
	keys []string // its keys, in order
}

// readAuditFile reads an audit file and checks, independently of the
// verifier, that it is one chain from seq first on, as the package
// documentation of host/audit defines it: every line ends with its hash,
// the SHA-256 of the line with the hash digits removed; prev is the SHA-256
// of the whole previous line ("" for seq 1); seq counts up by one; the
// fields come in the order of the record's declaration, the chain fields
// last.
func readAuditFile(t *testing.T, path string) []*auditLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseAuditTrail(t, path, data)
}

func parseAuditTrail(t *testing.T, what string, data []byte) []*auditLine {
	t.Helper()
	if len(data) == 0 {
		t.Fatalf("%s is empty", what)
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", what)
	}
	var out []*auditLine
	prev := ""
	for i, line := range bytes.Split(data[:len(data)-1], []byte("\n")) {
		where := fmt.Sprintf("%s line %d", what, i+1)
		l := &auditLine{raw: line}
		if err := json.Unmarshal(line, l); err != nil {
			t.Fatalf("%s: %v\n%s", where, err, line)
		}
		l.keys = jsonKeys(t, line)
		const tail = 64 + len(`"}`)
		if len(line) < tail || !bytes.HasSuffix(line[:len(line)-tail], []byte(`,"hash":"`)) || !bytes.HasSuffix(line, []byte(`"}`)) {
			t.Fatalf("%s does not end with the hash field: %s", where, line)
		}
		content := slices.Concat(line[:len(line)-tail], []byte(`"}`))
		if got, want := l.Hash, sha256Hex(content); got != want {
			t.Errorf("%s: hash %s, want %s (the SHA-256 of the line with the hash removed)", where, got, want)
		}
		if l.Prev != prev {
			t.Errorf("%s: prev %q, want %q (the SHA-256 of the line before)", where, l.Prev, prev)
		}
		if l.Seq != uint64(i+1) {
			t.Errorf("%s: seq %d, want %d", where, l.Seq, i+1)
		}
		if n := len(l.keys); n < 6 || l.keys[0] != "time" || !slices.Equal(l.keys[n-3:], []string{"seq", "prev", "hash"}) {
			t.Errorf("%s: keys %v, want time first and seq, prev, hash last", where, l.keys)
		}
		if l.Time.Location() != time.UTC || !bytes.Contains(line, []byte(`Z","request_id"`)) {
			t.Errorf("%s: time %s is not written in UTC", where, l.Time)
		}
		prev = sha256Hex(line)
		out = append(out, l)
	}
	return out
}

// jsonKeys lists the top-level keys of a JSON object line in order.
func jsonKeys(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", line)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%v in %s", err, line)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v in %s", err, line)
		}
		keys = append(keys, k.(string))
	}
	return keys
}

func (l *auditLine) has(key string) bool { return slices.Contains(l.keys, key) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// auditFileOf is where a host writes its trail by default: data/audit.log
// next to its config.
func auditFileOf(h *hostProc) string {
	return filepath.Join(filepath.Dir(h.cfgPath), "data", "audit.log")
}

// relaunch starts `toolgate serve` again on the config of h, which has
// exited: same directory, same files.
func relaunch(t *testing.T, old *hostProc) *hostProc {
	t.Helper()
	h := run(t, old.cfgPath, "serve")
	t.Cleanup(func() { h.stop(t) })
	if err := h.waitServing(15 * time.Second); err != nil {
		t.Fatalf("toolgate did not start serving again: %v\nits log:\n%s", err, h.log.String())
	}
	return h
}

// logLine returns the first log record with the message msg, or fails.
func logLine(t *testing.T, h *hostProc, msg string) logRecord {
	t.Helper()
	for _, r := range h.log.records() {
		if r.msg() == msg {
			return r
		}
	}
	t.Fatalf("no %q line in the host's log:\n%s", msg, h.log.tail(50))
	return nil
}

// pluginDigests returns the sha256 each plugin's "plugin started" line
// names.
func pluginDigests(t *testing.T, h *hostProc) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range h.log.records() {
		if r.msg() != "plugin started" {
			continue
		}
		name, _ := r["plugin"].(string)
		sum, _ := r["sha256"].(string)
		if old, dup := out[name]; dup && old != sum {
			t.Fatalf("plugin %s started with sha256 %s and %s", name, old, sum)
		}
		out[name] = sum
	}
	return out
}

// toolCallLogIDs returns the request ids of the host's "request" log lines
// for tools/call, in order.
func toolCallLogIDs(h *hostProc) []string {
	var out []string
	for _, r := range h.log.records() {
		if r.msg() == "request" && r["method"] == "tools/call" {
			id, _ := r["request_id"].(string)
			out = append(out, id)
		}
	}
	return out
}

// auditCall is a tool call the test made and the record it wants for it.
type auditCall struct {
	what    string
	tool    string
	plugin  string
	args    string // the arguments JSON as sent; "" sends none
	scopes  []string
	outcome string
	// requestID is the id the probe's caller tool saw, when it is known.
	requestID string
}

// argsSHA256 is the digest the record must carry: of the arguments as sent,
// or of {} when none were sent.
func (c *auditCall) argsSHA256() string {
	if c.args == "" {
		return sha256Hex([]byte("{}"))
	}
	return sha256Hex([]byte(c.args))
}

// auditRefusal is a refused request the test made and the record it wants.
type auditRefusal struct {
	what, reason, method, subject, tool string
	scopes                              []string
}

// callParams are the params of a tools/call with raw arguments.
func callParams(name, args string) map[string]any {
	p := map[string]any{"name": name}
	if args != "" {
		p["arguments"] = json.RawMessage(args)
	}
	return p
}

func TestAuditTrail(t *testing.T) {
	// A value that only ever travels as an argument: it must reach no
	// record and no log line. rand.Text is base32, which slow's mark
	// pattern takes.
	secret := "AuditCanary" + rand.Text()
	start := time.Now()
	h := startHost(t, authHostConfig(auditConfig))
	alice := mintToken(t, h, "alice", "tools:echo probe:run probe:slow")
	bob := mintToken(t, h, "bob", "tools:other")
	hd, _ := decodeJWT(t, alice)
	expired := signJWT(t, readSigningKey(t, keyFileOf(h)),
		map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": hd["kid"]},
		validClaims("carol", map[string]any{
			"iat": time.Now().Add(-2 * time.Hour).Unix(), "nbf": time.Now().Add(-2 * time.Hour).Unix(),
			"exp": time.Now().Add(-time.Hour).Unix(),
		}))

	echoScopes, probeScopes, slowScopes := []string{"tools:echo"}, []string{"probe:run"}, []string{"probe:run", "probe:slow"}
	calls := []*auditCall{
		{what: "echo 1", tool: "echo", plugin: "echo", args: `{"message":"one ` + secret + `"}`, scopes: echoScopes, outcome: "ok"},
		{what: "echo 2", tool: "echo", plugin: "echo", args: `{"message":"two ` + secret + `","repeat_count":2}`, scopes: echoScopes, outcome: "ok"},
		{what: "echo 3", tool: "echo", plugin: "echo", args: `{"message":"three ` + secret + `"}`, scopes: echoScopes, outcome: "ok"},
		{what: "echo with a number for message", tool: "echo", plugin: "echo", args: `{"message":42,"note":"` + secret + `"}`,
			scopes: echoScopes, outcome: "invalid_arguments"},
		{what: "echo with repeat_count 11", tool: "echo", plugin: "echo", args: `{"message":"four ` + secret + `","repeat_count":11}`,
			scopes: echoScopes, outcome: "invalid_arguments"},
		{what: "fail", tool: "fail", plugin: "probe", args: `{"message":"` + secret + `"}`, scopes: probeScopes, outcome: "tool_error"},
		{what: "slow past its timeout", tool: "slow", plugin: "probe", args: `{"seconds":5,"mark":"` + secret + `"}`,
			scopes: slowScopes, outcome: "timeout"},
		{what: "caller without arguments", tool: "caller", plugin: "probe", scopes: probeScopes, outcome: "ok"},
	}
	for _, c := range calls {
		r := h.post(t, bearer(alice).with(modernHeaders("tools/call", c.tool)), modernBody(c.what, "tools/call", callParams(c.tool, c.args)))
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		if res.IsError != (c.outcome != "ok") {
			t.Fatalf("%s: got isError %v (%s), want outcome %s", c.what, res.IsError, res.text(), c.outcome)
		}
		switch c.outcome {
		case "invalid_arguments":
			if !strings.Contains(res.text(), "Invalid arguments") {
				t.Fatalf("%s: got %q, want an invalid arguments error", c.what, res.text())
			}
		case "timeout":
			if !strings.Contains(res.text(), "did not finish within 300ms") {
				t.Fatalf("%s: got %q, want a timeout", c.what, res.text())
			}
		}
		if c.tool == "caller" {
			var out struct {
				RequestID string `json:"request_id"`
			}
			mustUnmarshal(t, res.StructuredContent, &out)
			if out.RequestID == "" {
				t.Fatalf("%s: the probe saw no request id", c.what)
			}
			c.requestID = out.RequestID
		}
	}

	// A session-era call is audited the same way; initialize, its
	// notification and tools/list are not tool calls and leave no record.
	r := h.post(t, bearer(alice), initializeBody(1, sessionVersion))
	wantResult(t, r)
	inSession := bearer(alice).with(headers{"Mcp-Session-Id": r.Header.Get("Mcp-Session-Id"), "MCP-Protocol-Version": sessionVersion})
	if r := h.post(t, inSession, rpcBody(nil, "notifications/initialized", nil)); r.Status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: status %d; %s", r.Status, r.Body)
	}
	wantResult(t, h.post(t, inSession, rpcBody(2, "tools/list", nil)))
	sessionCall := &auditCall{what: "echo in a session", tool: "echo", plugin: "echo", args: `{"message":"session ` + secret + `"}`,
		scopes: echoScopes, outcome: "ok"}
	wantResult(t, h.post(t, inSession, rpcBody(3, "tools/call", callParams(sessionCall.tool, sessionCall.args))))
	calls = append(calls, sessionCall)
	wantResult(t, h.post(t, bearer(alice).with(modernHeaders("tools/list", "")), modernBody(4, "tools/list", nil)))

	// Refusals: no token and an expired one (401), a token without the
	// tool's scope (403).
	refusals := []*auditRefusal{
		{what: "no token", reason: "no_token", method: "tools/call"},
		{what: "expired token", reason: "expired", method: "tools/call"},
		{what: "missing scope", reason: "insufficient_scope", method: "tools/call", subject: "bob", tool: "echo", scopes: echoScopes},
	}
	echoArgs := `{"message":"refused ` + secret + `"}`
	for _, f := range refusals {
		hdr := modernHeaders("tools/call", "echo")
		status, code := http.StatusUnauthorized, codeUnauthorized
		switch f.reason {
		case "expired":
			hdr = bearer(expired).with(hdr)
		case "insufficient_scope":
			hdr = bearer(bob).with(hdr)
			status, code = http.StatusForbidden, codeForbidden
		}
		wantError(t, h.post(t, hdr, modernBody(f.what, "tools/call", callParams("echo", echoArgs))), status, code)
	}
	end := time.Now()

	// The trail is flushed at shutdown.
	h.stop(t)
	// A refusal's record is queued after its answer is sent, so it may be
	// stamped a moment after the client saw the answer.
	stopped := time.Now()
	path := auditFileOf(h)
	if st, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %#o, want 0600", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := parseAuditTrail(t, path, data)
	if t.Failed() {
		t.FailNow()
	}
	if len(recs) != len(calls)+len(refusals) {
		t.Fatalf("the trail holds %d records, want %d: one per tool call (%d) and per refusal (%d), nothing else\n%s",
			len(recs), len(calls)+len(refusals), len(calls), len(refusals), data)
	}

	t.Run("no argument values", func(t *testing.T) {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the audit trail holds an argument value:\n%s", grepLines(string(data), secret))
		}
		if log := h.log.String(); strings.Contains(log, secret) {
			t.Errorf("the host's log holds an argument value:\n%s", grepLines(log, secret))
		}
		for _, tok := range []string{alice, bob, expired} {
			wantNoPiece(t, "the audit trail", string(data), tok)
		}
	})

	digests := pluginDigests(t, h)
	for _, name := range []string{"echo", "probe"} {
		if got, want := digests[name], sha256File(t, bin(name)); got != want {
			t.Errorf("plugin %s: the host logged sha256 %s at start, want the binary's %s", name, got, want)
		}
	}

	t.Run("tool calls", func(t *testing.T) {
		byArgs := map[string]*auditLine{}
		for _, l := range recs {
			if l.Decision == "allowed" {
				if _, dup := byArgs[l.ArgsSHA256]; dup {
					t.Fatalf("two allowed records with args_sha256 %s", l.ArgsSHA256)
				}
				byArgs[l.ArgsSHA256] = l
			}
		}
		if len(byArgs) != len(calls) {
			t.Errorf("%d allowed records, want %d", len(byArgs), len(calls))
		}
		// The calls ran one after another, and a call's record is queued
		// before its answer is sent: the trail holds them in order, and so
		// do the host's request log lines.
		logIDs := toolCallLogIDs(h)
		if len(logIDs) != len(calls) {
			t.Fatalf("the host logged %d tools/call requests, want %d", len(logIDs), len(calls))
		}
		var lastSeq uint64
		for i, c := range calls {
			l := byArgs[c.argsSHA256()]
			if l == nil {
				t.Errorf("%s: no allowed record with args_sha256 %s", c.what, c.argsSHA256())
				continue
			}
			if l.Seq <= lastSeq {
				t.Errorf("%s: seq %d comes after the previous call's %d", c.what, l.Seq, lastSeq)
			}
			lastSeq = l.Seq
			if l.RequestID == "" || l.RequestID != logIDs[i] {
				t.Errorf("%s: request_id %q, want %q, the host's request log line's", c.what, l.RequestID, logIDs[i])
			}
			if c.requestID != "" && l.RequestID != c.requestID {
				t.Errorf("%s: request_id %q, want %q, the one the plugin saw", c.what, l.RequestID, c.requestID)
			}
			if l.Subject != "alice" || l.ClientID != "toolgate-cli" || l.Issuer != authIssuer {
				t.Errorf("%s: subject %q client_id %q issuer %q, want alice, toolgate-cli, %s", c.what, l.Subject, l.ClientID, l.Issuer, authIssuer)
			}
			if l.Method != "tools/call" || l.Tool != c.tool || l.Plugin != c.plugin || l.PluginSHA256 != digests[c.plugin] {
				t.Errorf("%s: method %q tool %q plugin %q plugin_sha256 %q, want tools/call, %s, %s, %s",
					c.what, l.Method, l.Tool, l.Plugin, l.PluginSHA256, c.tool, c.plugin, digests[c.plugin])
			}
			if l.Reason != "" || l.has("reason") {
				t.Errorf("%s: an allowed record with reason %q", c.what, l.Reason)
			}
			if !slices.Equal(l.Scopes, c.scopes) {
				t.Errorf("%s: scopes %q, want %q", c.what, l.Scopes, c.scopes)
			}
			if l.Outcome != c.outcome {
				t.Errorf("%s: outcome %q, want %q", c.what, l.Outcome, c.outcome)
			}
			switch d := l.DurationMS; {
			case d == nil || *d <= 0:
				t.Errorf("%s: duration_ms %v, want more than 0\n%s", c.what, d, l.raw)
			case c.outcome == "timeout" && (*d < 300 || *d > 4000):
				t.Errorf("%s: duration_ms %v, want the 300ms timeout (slow asked for 5s)", c.what, *d)
			case *d > float64(end.Sub(start).Milliseconds()):
				t.Errorf("%s: duration_ms %v is longer than the whole test", c.what, *d)
			}
			if l.Time.Before(start) || l.Time.After(end) {
				t.Errorf("%s: time %s is outside the test's %s..%s", c.what, l.Time, start, end)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		byReason := map[string]*auditLine{}
		for _, l := range recs {
			if l.Decision == "refused" {
				byReason[l.Reason] = l
			}
		}
		if len(byReason) != len(refusals) {
			t.Errorf("refused records by reason: %v, want one each of %d reasons", slices.Sorted(maps.Keys(byReason)), len(refusals))
		}
		for _, f := range refusals {
			l := byReason[f.reason]
			if l == nil {
				t.Errorf("%s: no refused record with reason %s", f.what, f.reason)
				continue
			}
			if l.RequestID == "" {
				t.Errorf("%s: no request_id", f.what)
			}
			if l.Method != f.method || l.Tool != f.tool || !slices.Equal(l.Scopes, f.scopes) || l.Subject != f.subject {
				t.Errorf("%s: method %q tool %q scopes %q subject %q, want %q %q %q %q",
					f.what, l.Method, l.Tool, l.Scopes, l.Subject, f.method, f.tool, f.scopes, f.subject)
			}
			wantClient, wantIssuer := "", ""
			if f.subject != "" {
				wantClient, wantIssuer = "toolgate-cli", authIssuer
			}
			if l.ClientID != wantClient || l.Issuer != wantIssuer {
				t.Errorf("%s: client_id %q issuer %q, want %q %q", f.what, l.ClientID, l.Issuer, wantClient, wantIssuer)
			}
			// Nothing ran: no outcome, duration, plugin or arguments.
			for _, k := range []string{"outcome", "duration_ms", "plugin", "plugin_sha256", "args_sha256"} {
				if l.has(k) {
					t.Errorf("%s: a refused record has %s:\n%s", f.what, k, l.raw)
				}
			}
			if l.Time.Before(start) || l.Time.After(stopped) {
				t.Errorf("%s: time %s is outside the test's %s..%s", f.what, l.Time, start, stopped)
			}
		}
		ids := map[string]bool{}
		for _, l := range recs {
			if ids[l.RequestID] {
				t.Errorf("request_id %q appears twice", l.RequestID)
			}
			ids[l.RequestID] = true
		}
	})

	t.Run("open and close log the head", func(t *testing.T) {
		open := logLine(t, h, "audit trail open")
		if open["next_seq"] != float64(1) || open["head_sha256"] != "" || open["file"] != path {
			t.Errorf("audit trail open: got %v, want next_seq 1, head_sha256 \"\" and file %s", open, path)
		}
		closed := logLine(t, h, "audit trail closed")
		last := recs[len(recs)-1]
		if closed["last_seq"] != float64(last.Seq) || closed["head_sha256"] != sha256Hex(last.raw) {
			t.Errorf("audit trail closed: got %v, want last_seq %d and head_sha256 %s", closed, last.Seq, sha256Hex(last.raw))
		}
	})

	n := len(recs)
	t.Run("verify", func(t *testing.T) {
		code, stdout, stderr := runToolgate(t, "audit", "verify", path)
		want := fmt.Sprintf("OK: %d records in 1 file, seq 1..%d, ", n, n)
		if code != 0 || !strings.HasPrefix(stdout, want) || strings.Count(stdout, "\n") != 1 || stderr != "" {
			t.Errorf("toolgate audit verify: exit %d, stdout %q, stderr %q; want exit 0 and one line starting %q", code, stdout, stderr, want)
		}
	})

	t.Run("tampered copies", func(t *testing.T) {
		lines := bytes.SplitAfter(data, []byte("\n"))
		lines = lines[:len(lines)-1] // the empty piece after the last newline
		edit := func(l []byte, from, to string) []byte {
			if !bytes.Contains(l, []byte(from)) {
				t.Fatalf("%q is not in %s", from, l)
			}
			return bytes.Replace(l, []byte(from), []byte(to), 1)
		}
		for _, tc := range []struct {
			name string
			edit func([][]byte) [][]byte
			want string // the FAIL line, after "FAIL: "; FILE is the copy
		}{
			{
				name: "edited",
				edit: func(ls [][]byte) [][]byte {
					ls[1] = edit(ls[1], `"subject":"alice"`, `"subject":"alicf"`)
					return ls
				},
				want: "record 2 (FILE line 2) was edited: its hash does not match its content",
			},
			{
				name: "last record edited",
				edit: func(ls [][]byte) [][]byte {
					ls[n-1] = edit(ls[n-1], `"method":"tools/call"`, `"method":"tools/list"`)
					return ls
				},
				want: fmt.Sprintf("record %d (FILE line %d) was edited: its hash does not match its content", n, n),
			},
			{
				name: "deleted",
				edit: func(ls [][]byte) [][]byte { return slices.Delete(ls, 2, 3) },
				want: "record 3 is missing: FILE line 3 has seq 4 and its prev does not match line 2 (seq 2)",
			},
			{
				name: "swapped",
				edit: func(ls [][]byte) [][]byte {
					ls[2], ls[3] = ls[3], ls[2]
					return ls
				},
				want: "records out of order at FILE line 3: seq 4 comes before seq 3 (line 4)",
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cp := filepath.Join(t.TempDir(), "audit.log")
				ls := make([][]byte, len(lines))
				for i, l := range lines {
					ls[i] = bytes.Clone(l)
				}
				if err := os.WriteFile(cp, bytes.Join(tc.edit(ls), nil), 0o600); err != nil {
					t.Fatal(err)
				}
				code, stdout, _ := runToolgate(t, "audit", "verify", cp)
				first, _, _ := strings.Cut(stdout, "\n")
				want := "FAIL: " + strings.ReplaceAll(tc.want, "FILE", cp)
				if code != 1 || first != want {
					t.Errorf("toolgate audit verify: exit %d\n%s\nwant exit 1 and first line\n%s", code, stdout, want)
				}
			})
		}
	})

	// A restarted host continues the chain: its first record links to the
	// last line the previous run wrote.
	t.Run("restart", func(t *testing.T) {
		h2 := relaunch(t, h)
		open := logLine(t, h2, "audit trail open")
		if open["next_seq"] != float64(n+1) || open["head_sha256"] != sha256Hex(recs[n-1].raw) {
			t.Errorf("audit trail open after a restart: got %v, want next_seq %d and head_sha256 %s", open, n+1, sha256Hex(recs[n-1].raw))
		}
		r := h2.post(t, bearer(alice).with(modernHeaders("tools/call", "caller")), modernBody(1, "tools/call", callParams("caller", "{}")))
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		var out struct {
			RequestID string `json:"request_id"`
		}
		mustUnmarshal(t, res.StructuredContent, &out)
		h2.stop(t)

		all := readAuditFile(t, path)
		if len(all) != n+1 {
			t.Fatalf("after the restart the trail holds %d records, want %d", len(all), n+1)
		}
		if !bytes.Equal(slices.Concat(rawLines(all[:n])...), data) {
			t.Errorf("the restarted host changed the records the first run wrote")
		}
		l := all[n]
		if l.RequestID != out.RequestID || l.Tool != "caller" || l.Outcome != "ok" || l.Subject != "alice" ||
			l.PluginSHA256 != digests["probe"] || l.ArgsSHA256 != sha256Hex([]byte("{}")) {
			t.Errorf("the record after the restart: %s\nwant request_id %s, caller, ok, alice", l.raw, out.RequestID)
		}
		code, stdout, _ := runToolgate(t, "audit", "verify", path)
		want := fmt.Sprintf("OK: %d records in 1 file, seq 1..%d, ", n+1, n+1)
		if code != 0 || !strings.HasPrefix(stdout, want) || strings.Contains(stdout, "WARNING") {
			t.Errorf("toolgate audit verify after a restart: exit %d\n%s\nwant exit 0, %q... and no warning", code, stdout, want)
		}
	})
}

// rawLines returns the lines of the records, each with its "\n".
func rawLines(ls []*auditLine) [][]byte {
	out := make([][]byte, len(ls))
	for i, l := range ls {
		out[i] = append(bytes.Clone(l.raw), '\n')
	}
	return out
}

// metricSum sums the samples of the metric name whose labels hold every one
// of labels (as `key="value"`), in a text exposition.
func metricSum(t *testing.T, exposition, name string, labels ...string) (sum float64, found bool) {
	t.Helper()
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		i := strings.LastIndexByte(rest, ' ')
		series, value := rest[:i], rest[i+1:]
		match := true
		for _, l := range labels {
			match = match && strings.Contains(series, l)
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		sum, found = sum+v, true
	}
	return sum, found
}

// TestAuditRefusesWhenFull drives audit.on_full = "refuse" end to end. The
// trail is a FIFO that the test holds open and, at first, never reads: once
// the pipe's buffer (64 KiB on Linux) is full, the writer blocks in write,
// the one-record audit buffer fills, and tool calls must be turned away with
// -32003 rather than run unrecorded. When the test starts reading, calls
// succeed again, and what came through the pipe is one intact chain holding
// exactly the calls that ran.
func TestAuditRefusesWhenFull(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "audit.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	// Read and write: the host's start opens the file for reading first (to
	// pick up the chain), which on a FIFO blocks until someone holds it
	// open for writing. The test never writes.
	pipe, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()

	h := startHost(t, hostConfig("", `
[audit]
file = `+tomlString(fifo)+`
buffer = 1
on_full = "refuse"

[[plugins]]
name = "echo"
path = "@BIN@/echo"
`))
	call := func(i int) *reply {
		t.Helper()
		args := fmt.Sprintf(`{"message":"call %d"}`, i)
		return h.post(t, modernHeaders("tools/call", "echo"), modernBody(i, "tools/call", callParams("echo", args)))
	}
	argsOf := func(i int) string { return sha256Hex(fmt.Appendf(nil, `{"message":"call %d"}`, i)) }
	isRefusal := func(r *reply) bool {
		m := wantJSONRPC(t, r)
		if m.Error == nil {
			return false
		}
		if r.Status != http.StatusOK || m.Error.Code != -32003 || !strings.Contains(m.Error.Message, "the audit trail cannot keep up") {
			t.Fatalf("got status %d, error %d %q; want -32003 and the audit trail cannot keep up", r.Status, m.Error.Code, m.Error.Message)
		}
		return true
	}

	// A record is a few hundred bytes: the pipe fills within a few
	// hundred calls.
	var ran, refused []int
	i := 0
	for ; len(refused) == 0; i++ {
		if i == 5000 {
			t.Fatalf("%d calls ran and none was refused: the pipe should have filled long ago", i)
		}
		if isRefusal(call(i)) {
			refused = append(refused, i)
		} else {
			ran = append(ran, i)
		}
	}
	t.Logf("the first refusal came at call %d", i-1)
	// Nobody reads, so the writer stays blocked and every call is refused.
	for range 3 {
		if !isRefusal(call(i)) {
			t.Fatalf("call %d ran while the audit trail was stuck", i)
		}
		refused = append(refused, i)
		i++
	}
	if _, ok := h.log.line("refused a tool call: the audit trail cannot take its record", 5*time.Second); !ok {
		t.Errorf("the host did not log the refusals")
	}
	metrics := h.get(t, http.MethodGet, "/metrics", "127.0.0.1", nil)
	if metrics.Status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", metrics.Status)
	}
	text := string(metrics.Body)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"toolgate_audit_buffer_records", nil, 1},
		{"toolgate_audit_records_dropped_total", nil, 0},
		{"mcp_server_operation_duration_seconds_count", []string{`error_type="-32003"`, `gen_ai_tool_name="echo"`}, float64(len(refused))},
	} {
		if got, ok := metricSum(t, text, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}

	// Read the pipe from now on: the writer gets going, and calls run again.
	var (
		mu       sync.Mutex
		received []byte
		readDone = make(chan error, 1)
	)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := pipe.Read(buf)
			mu.Lock()
			received = append(received, buf[:n]...)
			mu.Unlock()
			if err != nil {
				readDone <- err
				return
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(i)
		if !isRefusal(r) {
			ran = append(ran, i)
			i++
			break
		}
		refused = append(refused, i)
		i++
		if time.Now().After(deadline) {
			t.Fatalf("calls are still refused 10s after the test began reading the audit FIFO")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 3 {
		if isRefusal(call(i)) {
			t.Fatalf("call %d was refused after the audit trail caught up", i)
		}
		ran = append(ran, i)
		i++
	}

	// Whatever the host wrote is in the pipe when it has exited; the test
	// holds the write end too, so there is no end of file: a read deadline
	// ends the reading.
	h.stop(t)
	if err := pipe.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := <-readDone; !os.IsTimeout(err) {
		t.Fatalf("reading the audit FIFO: %v", err)
	}
	mu.Lock()
	data := slices.Clone(received)
	mu.Unlock()

	copyPath := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	recs := parseAuditTrail(t, "the audit FIFO's output", data)
	if len(recs) != len(ran) {
		t.Errorf("the trail holds %d records, want one per call that ran (%d); %d calls were refused", len(recs), len(ran), len(refused))
	}
	got := map[string]bool{}
	for _, l := range recs {
		if l.Decision != "allowed" || l.Outcome != "ok" || l.Tool != "echo" {
			t.Errorf("unexpected record %s", l.raw)
		}
		got[l.ArgsSHA256] = true
	}
	for _, c := range ran {
		if !got[argsOf(c)] {
			t.Errorf("call %d ran and has no record", c)
		}
	}
	for _, c := range refused {
		if got[argsOf(c)] {
			t.Errorf("call %d was refused and has a record", c)
		}
	}
	code, stdout, _ := runToolgate(t, "audit", "verify", copyPath)
	if want := fmt.Sprintf("OK: %d records in 1 file, seq 1..%d, ", len(ran), len(ran)); code != 0 || !strings.HasPrefix(stdout, want) {
		t.Errorf("toolgate audit verify: exit %d\n%s\nwant exit 0 and %q...", code, stdout, want)
	}
}
