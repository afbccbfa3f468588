package dispatch

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
)

func newServer(t *testing.T) (*Server, *prometheus.Registry) {
	t.Helper()
	reg, err := registry.New(&config.Config{Tools: map[string]config.Tool{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pr := prometheus.NewRegistry()
	return New(reg, Options{Info: Implementation{Name: "toolgate", Version: "test"}, PageSize: 10,
		Logger: slogDiscard(), Registerer: pr}), pr
}

func decode(t *testing.T, body string) *Request {
	t.Helper()
	m, jerr := jsonrpc.Decode([]byte(body))
	if jerr != nil {
		t.Fatal(jerr)
	}
	r, jerr := DecodeRequest(m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	return r
}

func TestInitializeNegotiates(t *testing.T) {
	s, _ := newServer(t)
	for asked, want := range map[string]string{
		"2025-03-26": "2025-03-26", "2025-06-18": "2025-06-18", "2025-11-25": "2025-11-25",
		"2024-11-05": "2025-11-25", "2026-07-28": "2025-11-25", "garbage": "2025-11-25",
	} {
		r := decode(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+asked+`","capabilities":{}}}`)
		_, got, jerr := s.Initialize(r)
		if jerr != nil || got != want {
			t.Errorf("initialize with %s: got %q, %v; want %q", asked, got, jerr, want)
		}
	}
	r := decode(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`)
	if _, _, jerr := s.Initialize(r); jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
		t.Errorf("initialize without protocolVersion: got %v, want -32602", jerr)
	}
}

func TestMethodTablePerEra(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, true},
		{`{"jsonrpc":"2.0","id":1,"method":"server/discover"}`, false},                                                                  // the session era has no discover
		{`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, false}, // 2026-07-28 dropped ping
		{`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, true},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, true},
	}
	for _, tt := range tests {
		_, jerr := s.Handle(t.Context(), decode(t, tt.body))
		if (jerr == nil) != tt.ok {
			t.Errorf("%s: got error %v, want ok=%v", tt.body, jerr, tt.ok)
		}
		if jerr != nil && jerr.Code != jsonrpc.CodeMethodNotFound {
			t.Errorf("%s: got code %d, want -32601", tt.body, jerr.Code)
		}
	}
}

// TestMetricLabelsAreBounded checks that a client cannot mint label values:
// unknown methods and versions are counted as "other".
func TestMetricLabelsAreBounded(t *testing.T) {
	s, pr := newServer(t)
	for i := range 20 {
		name := strings.Repeat("x", i+1)
		s.Handle(t.Context(), decode(t, `{"jsonrpc":"2.0","id":1,"method":"`+name+`","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"`+name+`"}}}`))
	}
	families, err := pr.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "mcp_server_operation_duration_seconds" && len(f.GetMetric()) != 1 {
			t.Errorf("20 made-up methods gave %d series, want 1", len(f.GetMetric()))
		}
	}
}
