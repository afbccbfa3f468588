package registry

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/config"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

func contentSource(plugin string) Source {
	return Source{
		Plugin:  plugin,
		Timeout: 3 * time.Second,
		Prompts: []*toolgatev1.Prompt{
			{Name: "a", Description: "A.", SuggestedScopes: []string{"prompts:a"},
				Arguments: []*toolgatev1.PromptArgument{{Name: "x", Required: true}, {Name: "y"}}},
			{Name: "b.c"},
			{Name: "d"},
		},
		Resources: []*toolgatev1.Resource{
			{Uri: "file:///notes/readme.md", Name: "readme", SuggestedScopes: []string{"notes:read"}},
			{Uri: "test://items/fixed", Name: "fixed"},
		},
		ResourceTemplates: []*toolgatev1.ResourceTemplate{
			{UriTemplate: "test://items/{id}", Name: "item"},
			{UriTemplate: "test://{+rest}", Name: "anything"},
		},
	}
}

func TestContentScopes(t *testing.T) {
	cfg := testConfig()
	cfg.Auth.Enabled = true
	cfg.Auth.DefaultPromptScopes = []string{"prompts"}
	cfg.Auth.DefaultResourceScopes = []string{"resources"}
	cfg.Prompts = []config.PromptRule{{Name: "b.c", Scopes: []string{"ops:bc"}}, {Name: "d", Scopes: []string{}}}
	cfg.Resources = []config.ResourceRule{{URI: "test://items/{id}", Scopes: []string{"items:read"}}}
	r, err := New(cfg, []Source{contentSource("p")})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{"a": {"prompts:a"}, "b.c": {"ops:bc"}, "d": {}} {
		p, ok := r.LookupPrompt(name)
		if !ok || !slices.Equal(p.Scopes, want) || p.Timeout != 3*time.Second {
			t.Errorf("prompt %s: got %+v, want scopes %v", name, p, want)
		}
	}
	if p, _ := r.LookupPrompt("a"); !slices.Equal(p.Required, []string{"x"}) {
		t.Errorf("got required %v, want [x]", p.Required)
	}
	tests := []struct {
		uri, serves string
		vars        map[string]string
		scopes      []string
	}{
		{"file:///notes/readme.md", "file:///notes/readme.md", nil, []string{"notes:read"}},
		// A listed resource wins over a template it matches.
		{"test://items/fixed", "test://items/fixed", nil, []string{"resources"}},
		{"test://items/7", "test://items/{id}", map[string]string{"id": "7"}, []string{"items:read"}},
		{"test://other/a/b", "test://{+rest}", map[string]string{"rest": "other/a/b"}, []string{"resources"}},
	}
	for _, tt := range tests {
		res, vars, ok := r.LookupResource(tt.uri)
		if !ok || res.URI != tt.serves || !maps.Equal(vars, tt.vars) || !slices.Equal(res.Scopes, tt.scopes) {
			t.Errorf("%s: got %+v %v %v, want %s %v %v", tt.uri, res, vars, ok, tt.serves, tt.vars, tt.scopes)
		}
	}
	if _, _, ok := r.LookupResource("file:///elsewhere"); ok {
		t.Errorf("found a resource for file:///elsewhere, want none")
	}
	if tm, ok := r.LookupTemplate("test://items/{id}"); !ok || tm.URI != "test://items/{id}" || !slices.Equal(tm.Variables(), []string{"id"}) {
		t.Errorf("LookupTemplate: got %+v %v", tm, ok)
	}
	var def struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	if p, _ := r.LookupPrompt("a"); json.Unmarshal(p.Definition, &def) != nil || string(def.Meta[metaRequiredScopes]) != `["prompts:a"]` {
		t.Errorf("got prompt definition %s, want requiredScopes in _meta", p.Definition)
	}
	got := r.Scopes()
	for _, s := range []string{"prompts:a", "ops:bc", "notes:read", "items:read", "resources"} {
		if !slices.Contains(got, s) {
			t.Errorf("Scopes() = %v lacks %s", got, s)
		}
	}
}

func TestContentDefinitions(t *testing.T) {
	r, err := New(testConfig(), []Source{contentSource("p")})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := r.LookupPrompt("a")
	const wantPrompt = `{"name":"a","description":"A.","arguments":[{"name":"x","required":true},{"name":"y"}]}`
	if string(p.Definition) != wantPrompt {
		t.Errorf("got %s, want %s", p.Definition, wantPrompt)
	}
	if got := string(r.Templates()[0].Definition); got != `{"uriTemplate":"test://items/{id}","name":"item"}` {
		t.Errorf("got template definition %s", got)
	}
}

func TestContentConflictsAndMistakes(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*config.Config)
		sources []Source
		want    string
	}{
		{"prompt twice", nil, []Source{contentSource("p"), {Plugin: "q", Prompts: []*toolgatev1.Prompt{{Name: "a"}}}},
			`prompt "a" is offered by both plugin p and plugin q`},
		{"template twice", nil, []Source{contentSource("p"), {Plugin: "q", ResourceTemplates: []*toolgatev1.ResourceTemplate{{UriTemplate: "test://items/{id}", Name: "x"}}}},
			`resource "test://items/{id}" is offered by both plugin p and plugin q`},
		{"bad template", nil, []Source{{Plugin: "q", ResourceTemplates: []*toolgatev1.ResourceTemplate{{UriTemplate: "x://{a,b}", Name: "x"}}}},
			"not supported"},
		{"relative uri", nil, []Source{{Plugin: "q", Resources: []*toolgatev1.Resource{{Uri: "notes.md", Name: "x"}}}},
			"absolute URI"},
		{"unnamed resource", nil, []Source{{Plugin: "q", Resources: []*toolgatev1.Resource{{Uri: "x://a"}}}},
			"name must be set"},
		{"config names no prompt", func(c *config.Config) { c.Prompts = []config.PromptRule{{Name: "zz"}} }, []Source{contentSource("p")},
			`mcp.toml: prompts[0].name: no plugin offers a prompt named "zz"`},
		{"config names no resource", func(c *config.Config) { c.Resources = []config.ResourceRule{{URI: "test://items/7"}} }, []Source{contentSource("p")},
			`mcp.toml: resources[0].uri: no plugin offers a resource or resource template "test://items/7"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			_, err := New(cfg, tt.sources)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestPagePrompts(t *testing.T) {
	r, err := New(testConfig(), []Source{contentSource("p")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	cursor := ""
	for range 5 {
		page, next, err := r.PagePrompts(cursor, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			names = append(names, p.Name)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if want := []string{"a", "b.c", "d"}; !slices.Equal(names, want) {
		t.Errorf("got %v over the pages, want %v", names, want)
	}
	if _, _, err := r.PageResources("!!", 2, nil); err != ErrBadCursor {
		t.Errorf("got %v for a bogus cursor, want ErrBadCursor", err)
	}
}
