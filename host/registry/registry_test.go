package registry

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/config"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

var objectSchema = []byte(`{"type":"object","properties":{"n":{"type":"integer","maximum":3}},"required":["n"]}`)

func tool(name string, scopes ...string) *toolgatev1.Tool {
	return &toolgatev1.Tool{Name: name, InputSchema: objectSchema, SuggestedScopes: scopes}
}

func testConfig() *config.Config {
	return &config.Config{File: "mcp.toml", Server: config.Server{CallTimeout: time.Minute}, Tools: map[string]config.Tool{}}
}

func TestScopesAndTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.Auth.Enabled = true
	cfg.Auth.DefaultToolScopes = []string{"tools:default"}
	cfg.Tools["b"] = config.Tool{Scopes: []string{"ops:b", "ops:a", "ops:b"}, CallTimeout: time.Second}
	cfg.Tools["c"] = config.Tool{Scopes: []string{}}
	r, err := New(cfg, []Source{{Plugin: "p", Timeout: 5 * time.Second,
		Tools: []*toolgatev1.Tool{tool("a", "tools:a"), tool("b", "tools:b"), tool("c", "tools:c"), tool("d")}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		scopes  []string
		timeout time.Duration
	}{
		{"a", []string{"tools:a"}, 5 * time.Second},       // the plugin's suggestion, the plugin's timeout
		{"b", []string{"ops:a", "ops:b"}, time.Second},    // the operator's word, sorted, deduplicated
		{"c", []string{}, 5 * time.Second},                // scopes = [] means none
		{"d", []string{"tools:default"}, 5 * time.Second}, // nobody said: the default
	}
	for _, tt := range tests {
		got, ok := r.Lookup(tt.name)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", tt.name)
		}
		if !slices.Equal(got.Scopes, tt.scopes) || got.Timeout != tt.timeout {
			t.Errorf("tool %s: got scopes %v timeout %v, want %v %v", tt.name, got.Scopes, got.Timeout, tt.scopes, tt.timeout)
		}
		var def struct {
			Meta map[string]json.RawMessage `json:"_meta"`
		}
		if err := json.Unmarshal(got.Definition, &def); err != nil || def.Meta[metaRequiredScopes] == nil {
			t.Errorf("tool %s: definition %s lacks %s", tt.name, got.Definition, metaRequiredScopes)
		}
	}
	if got, want := r.Scopes(), []string{"ops:a", "ops:b", "tools:a", "tools:default"}; !slices.Equal(got, want) {
		t.Errorf("Scopes() = %v, want %v", got, want)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name    string
		sources []Source
		tools   map[string]config.Tool
		want    string
	}{
		{"duplicate", []Source{{Plugin: "one", Tools: []*toolgatev1.Tool{tool("x")}}, {Plugin: "two", Tools: []*toolgatev1.Tool{tool("x")}}}, nil,
			"plugin one and plugin two"},
		{"bad name", []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{tool("a b")}}}, nil, "name must be"},
		{"not an object schema", []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{{Name: "x", InputSchema: []byte(`{"type":"string"}`)}}}}, nil,
			`"type": "object"`},
		{"remote ref", []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{{Name: "x", InputSchema: []byte(`{"type":"object","$ref":"https://example.com/s.json"}`)}}}}, nil,
			"only references within the schema"},
		{"bad x-mcp-header", []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{{Name: "x", InputSchema: []byte(`{"type":"object","properties":{"s":{"type":"number","x-mcp-header":"Score"}}}`)}}}}, nil,
			`plugin p: tool "x": inputSchema /properties/s: x-mcp-header "Score" needs a property of type string, integer or boolean`},
		{"unknown tool in config", []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{tool("x")}}}, map[string]config.Tool{"y": {}},
			"tools.y: no plugin offers a tool named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.tools != nil {
				cfg.Tools = tt.tools
			}
			_, err := New(cfg, tt.sources)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	var defs []*toolgatev1.Tool
	for _, n := range []string{"e", "a", "d", "c", "b"} {
		defs = append(defs, tool(n))
	}
	r, err := New(testConfig(), []Source{{Plugin: "p", Tools: defs}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	cursor := ""
	for range 10 {
		page, next, err := r.Page(cursor, 2, func(t *Tool) bool { return t.Name != "c" })
		if err != nil {
			t.Fatal(err)
		}
		for _, t := range page {
			names = append(names, t.Name)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if want := []string{"a", "b", "d", "e"}; !slices.Equal(names, want) {
		t.Errorf("pages gave %v, want %v", names, want)
	}
	if _, _, err := r.Page("!!", 2, nil); err != ErrBadCursor {
		t.Errorf("Page with a bogus cursor: got %v, want ErrBadCursor", err)
	}
}

func TestValidateArguments(t *testing.T) {
	r, err := New(testConfig(), []Source{{Plugin: "p", Tools: []*toolgatev1.Tool{tool("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := r.Lookup("x")
	if err := x.ValidateArguments([]byte(`{"n":2}`)); err != nil {
		t.Errorf("valid arguments: %v", err)
	}
	for args, want := range map[string]string{`{"n":7}`: "n: maximum", `{}`: "arguments: missing property", `{"n":"2"}`: "n: got string"} {
		if err := x.ValidateArguments([]byte(args)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateArguments(%s): got %v, want an error containing %q", args, err, want)
		}
	}
}
