package jsonrpc

import (
	"encoding/json"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int // 0: decodes
		wantID   string
		notif    bool
		response bool
	}{
		{name: "request", body: `{"jsonrpc":"2.0","id":1,"method":"ping"}`, wantID: "1"},
		{name: "string id", body: `{"jsonrpc":"2.0","id":"a-1","method":"ping","params":{}}`, wantID: `"a-1"`},
		{name: "notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, notif: true},
		{name: "response", body: `{"jsonrpc":"2.0","id":3,"result":{}}`, wantID: "3", response: true},
		{name: "null params", body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":null}`, wantID: "1"},
		{name: "not json", body: `{"jsonrpc":`, wantCode: CodeParseError},
		{name: "garbage", body: `hello`, wantCode: CodeParseError},
		{name: "empty", body: ``, wantCode: CodeInvalidRequest},
		{name: "batch", body: `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, wantCode: CodeInvalidRequest},
		{name: "invalid batch", body: `[{"jsonrpc":"2.0",`, wantCode: CodeParseError},
		{name: "scalar", body: `42`, wantCode: CodeInvalidRequest},
		{name: "no version", body: `{"id":1,"method":"ping"}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "wrong version", body: `{"jsonrpc":"1.0","id":1,"method":"ping"}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "null id", body: `{"jsonrpc":"2.0","id":null,"method":"ping"}`, wantCode: CodeInvalidRequest},
		{name: "object id", body: `{"jsonrpc":"2.0","id":{},"method":"ping"}`, wantCode: CodeInvalidRequest},
		{name: "method not string", body: `{"jsonrpc":"2.0","id":1,"method":5}`, wantCode: CodeInvalidRequest},
		{name: "empty method", body: `{"jsonrpc":"2.0","id":1,"method":""}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "array params", body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "request with result", body: `{"jsonrpc":"2.0","id":1,"method":"ping","result":{}}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "neither", body: `{"jsonrpc":"2.0","id":1}`, wantCode: CodeInvalidRequest, wantID: "1"},
		{name: "response without id", body: `{"jsonrpc":"2.0","result":{}}`, wantCode: CodeInvalidRequest},
		{name: "error response", body: `{"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"no"}}`, wantID: "4", response: true},
		{name: "result and error", body: `{"jsonrpc":"2.0","id":4,"result":{},"error":{"code":-1,"message":"no"}}`, wantCode: CodeInvalidRequest, wantID: "4"},
		{name: "error not an object", body: `{"jsonrpc":"2.0","id":4,"error":"no"}`, wantCode: CodeInvalidRequest, wantID: "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.body))
			if tt.wantCode != 0 {
				if err == nil {
					t.Fatalf("Decode(%s) = %+v, want error %d", tt.body, m, tt.wantCode)
				}
				if err.Code != tt.wantCode {
					t.Errorf("code = %d, want %d (%s)", err.Code, tt.wantCode, err.Message)
				}
				if got := err.ID.String(); got != tt.wantID {
					t.Errorf("error id = %q, want %q", got, tt.wantID)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.body, err)
			}
			if got := m.ID.String(); got != tt.wantID {
				t.Errorf("id = %q, want %q", got, tt.wantID)
			}
			if m.IsNotification() != tt.notif || m.IsResponse != tt.response {
				t.Errorf("notification=%v response=%v, want %v %v", m.IsNotification(), m.IsResponse, tt.notif, tt.response)
			}
		})
	}
}

func TestEncodeEchoesID(t *testing.T) {
	m, jerr := Decode([]byte(`{"jsonrpc":"2.0","id":"x\u0041","method":"ping"}`))
	if jerr != nil {
		t.Fatal(jerr)
	}
	b, err := EncodeResult(m.ID, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"jsonrpc":"2.0","id":"x\u0041","result":{}}`; got != want {
		t.Errorf("EncodeResult = %s, want %s", got, want)
	}
	e := NewError(CodeParseError, "bad")
	if got, want := string(EncodeError(e)), `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}`; got != want {
		t.Errorf("EncodeError = %s, want %s", got, want)
	}
}

// FuzzDecode checks that Decode never panics, that everything it accepts is
// a well-formed message, and that an error's reply is valid JSON.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"2.0","id":"x","result":{}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":1e400,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","jsonrpc":"1.0"}`,
		"\xff\xfe", `{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, jerr := Decode(body)
		if jerr != nil {
			if !json.Valid(EncodeError(jerr)) {
				t.Fatalf("error reply for %q is not valid JSON", body)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if !m.IsResponse && m.Method == "" {
			t.Fatalf("accepted a request without a method: %q", body)
		}
		if reply, err := EncodeResult(m.ID, struct{}{}); err != nil || !json.Valid(reply) {
			t.Fatalf("reply to %q: %v %q", body, err, reply)
		}
	})
}

func TestResponseOutcome(t *testing.T) {
	m, jerr := Decode([]byte(`{"jsonrpc":"2.0","id":"s-1","error":{"code":-32601,"message":"no such method"}}`))
	if jerr != nil || m.Error == nil || m.Error.Code != -32601 || m.Error.Message != "no such method" || m.Result != nil {
		t.Fatalf("error response: got %+v, %v", m, jerr)
	}
	if m.ID.String() != StringID("s-1").String() {
		t.Errorf("got id %s, want the one StringID makes", m.ID)
	}
	m, jerr = Decode([]byte(`{"jsonrpc":"2.0","id":2,"result":{"roots":[]}}`))
	if jerr != nil || string(m.Result) != `{"roots":[]}` || m.Error != nil {
		t.Fatalf("result response: got %+v, %v", m, jerr)
	}
	b, err := EncodeRequest(StringID("s-1"), "roots/list", nil)
	if err != nil || string(b) != `{"jsonrpc":"2.0","id":"s-1","method":"roots/list"}` {
		t.Errorf("EncodeRequest: got %s, %v", b, err)
	}
}
