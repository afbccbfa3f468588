// Package registry is the host's catalog of tools: for each tool name, the
// plugin that serves it, the scopes a caller needs, its call timeout, its
// compiled schemas and its pre-encoded definition for tools/list. It is the
// catalog of prompts, resources and resource templates too, each with its
// plugin, scopes and pre-encoded definition.
//
// A Registry is built once from the running plugins and the config and never
// changed afterwards; a new config or plugin set builds a new one.
package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/limit"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Backend runs calls for the tools of one plugin.
type Backend interface {
	CallTool(ctx context.Context, req *toolgatev1.CallToolRequest, onEvent func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error)
}

// hider is a Backend that may take its tools off tools/list for a while (a
// parked plugin, when plugins.when_parked says so).
type hider interface{ Hidden() bool }

// Source is one plugin's contribution to the catalog.
type Source struct {
	Plugin  string
	Tools   []*toolgatev1.Tool
	Timeout time.Duration // the plugin's call timeout; 0 means the server's
	Backend Backend

	Prompts           []*toolgatev1.Prompt
	Resources         []*toolgatev1.Resource
	ResourceTemplates []*toolgatev1.ResourceTemplate
	// Provider serves the prompts, resources and completions; it may be
	// nil when the plugin offers none.
	Provider Provider
}

// Tool is one entry of the catalog.
type Tool struct {
	Name    string
	Plugin  string
	Scopes  []string
	Timeout time.Duration
	// LogArguments puts the arguments in the request log ([tools.NAME]).
	LogArguments bool
	// Limit bounds the tool's own concurrent calls; nil when only its
	// plugin's limit applies.
	Limit *limit.Limiter
	// Definition is the MCP Tool object, encoded once for every tools/list.
	Definition json.RawMessage
	// HeaderParams are the arguments mirrored into Mcp-Param-* headers.
	HeaderParams []HeaderParam
	Backend      Backend
	// marked are the definitions for tools_list = "mark": [not callable, callable].
	marked [2]json.RawMessage

	input  *schema
	output *schema
}

// Registry maps tool names to tools; it is safe for concurrent use because
// it never changes.
type Registry struct {
	byName map[string]*Tool
	sorted []*Tool
	contents
}

var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// New builds the catalog. Tool names must be valid and unique across
// plugins; every schema must compile. cfg supplies the operator's scopes and
// timeouts ([tools.NAME]) and the server's default timeout.
func New(cfg *config.Config, sources []Source) (*Registry, error) {
	r := &Registry{byName: map[string]*Tool{}, contents: contents{prompts: map[string]*Prompt{}, resources: map[string]*Resource{}}}
	for _, src := range sources {
		if err := r.contents.add(cfg, src); err != nil {
			return nil, err
		}
		for _, def := range src.Tools {
			t, err := newTool(cfg, src, def)
			if err != nil {
				return nil, fmt.Errorf("plugin %s: tool %q: %w", src.Plugin, def.GetName(), err)
			}
			if prev, dup := r.byName[t.Name]; dup {
				return nil, fmt.Errorf("tool %q is offered by both plugin %s and plugin %s: tool names must be unique; remove one of the plugins from mcp.toml",
					t.Name, prev.Plugin, src.Plugin)
			}
			r.byName[t.Name] = t
			r.sorted = append(r.sorted, t)
		}
	}
	for name := range cfg.Tools {
		if _, ok := r.byName[name]; !ok {
			return nil, fmt.Errorf("%s: tools.%s: no plugin offers a tool named %q", cfg.File, name, name)
		}
	}
	sort.Slice(r.sorted, func(i, j int) bool { return r.sorted[i].Name < r.sorted[j].Name })
	if err := r.contents.finish(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

func newTool(cfg *config.Config, src Source, def *toolgatev1.Tool) (*Tool, error) {
	if !toolName.MatchString(def.GetName()) {
		return nil, fmt.Errorf("name must be 1 to 128 characters of A-Z a-z 0-9 _ . -")
	}
	if !isObjectSchema(def.GetInputSchema()) {
		return nil, fmt.Errorf(`inputSchema must be a JSON Schema object with "type": "object"`)
	}
	headers, err := headerParams(def.GetInputSchema())
	if err != nil {
		return nil, err
	}
	t := &Tool{Name: def.GetName(), Plugin: src.Plugin, Backend: src.Backend, HeaderParams: headers}
	if t.input, err = compileSchema(t.Name+"/input", def.GetInputSchema()); err != nil {
		return nil, fmt.Errorf("inputSchema: %w", err)
	}
	if len(def.GetOutputSchema()) > 0 {
		if t.output, err = compileSchema(t.Name+"/output", def.GetOutputSchema()); err != nil {
			return nil, fmt.Errorf("outputSchema: %w", err)
		}
	}
	t.Scopes = pickScopes(cfg.Auth.DefaultToolScopes, def.GetSuggestedScopes(), cfg.Tools[t.Name].Scopes)
	t.Timeout = firstPositive(cfg.Tools[t.Name].CallTimeout, src.Timeout, cfg.Server.CallTimeout)
	t.LogArguments = cfg.Tools[t.Name].LogArguments
	t.Limit = limit.New(cfg.Tools[t.Name].MaxConcurrent, cfg.Tools[t.Name].MaxQueue)
	if !cfg.Auth.Enabled {
		t.Definition, err = encodeDefinition(def, nil)
		return t, err
	}
	scopes := map[string]any{metaRequiredScopes: t.Scopes}
	if t.Definition, err = encodeDefinition(def, scopes); err != nil {
		return nil, err
	}
	for i, callable := range []bool{false, true} {
		if t.marked[i], err = encodeDefinition(def, map[string]any{metaRequiredScopes: t.Scopes, metaCallable: callable}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// pickScopes picks the scopes of a tool, prompt or resource: the
// operator's (nil when mcp.toml does not say), else the plugin's
// suggestion, else the [auth] default of its kind. The result is sorted
// and never nil, so it encodes as a list.
func pickScopes(defaults, suggested, operator []string) []string {
	s := defaults
	if len(suggested) > 0 {
		s = suggested
	}
	if operator != nil {
		s = operator
	}
	s = append([]string{}, s...)
	slices.Sort(s)
	return slices.Compact(s)
}

// MarkedDefinition is the definition for tools_list = "mark", telling the
// caller whether it may call the tool.
func (t *Tool) MarkedDefinition(callable bool) json.RawMessage {
	if callable {
		return t.marked[1]
	}
	return t.marked[0]
}

func firstPositive(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}

// Lookup finds a tool by name.
func (r *Registry) Lookup(name string) (*Tool, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// All returns every tool in name order. The slice must not be modified.
func (r *Registry) All() []*Tool { return r.sorted }

// Scopes returns every scope some tool, prompt or resource needs, sorted.
func (r *Registry) Scopes() []string {
	var all []string
	for _, t := range r.sorted {
		all = append(all, t.Scopes...)
	}
	for _, p := range r.sortedPrompts {
		all = append(all, p.Scopes...)
	}
	for _, x := range slices.Concat(r.sortedResources, r.sortedTemplates) {
		all = append(all, x.Scopes...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// ErrBadCursor means a pagination cursor was not one this server issued.
var ErrBadCursor = fmt.Errorf("invalid cursor: pass the nextCursor of the previous page, or none")

// Page returns up to size tools that pass keep (nil keeps all) and whose
// backend does not hide them, in name order, starting after cursor, and the
// cursor of the next page ("" when this is the last). A cursor names the
// last tool of its page, so pages stay consistent when tools come and go
// between calls.
func (r *Registry) Page(cursor string, size int, keep func(*Tool) bool) ([]*Tool, string, error) {
	shown := func(t *Tool) bool {
		if h, ok := t.Backend.(hider); ok && h.Hidden() {
			return false
		}
		return keep == nil || keep(t)
	}
	return page(r.sorted, func(t *Tool) string { return t.Name }, cursor, size, shown)
}

// page pages through a list sorted by key, as Page describes.
func page[T any](sorted []T, key func(T) string, cursor string, size int, keep func(T) bool) ([]T, string, error) {
	start := 0
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 {
			return nil, "", ErrBadCursor
		}
		start = sort.Search(len(sorted), func(i int) bool { return key(sorted[i]) > string(after) })
	}
	out := make([]T, 0, min(size, len(sorted)-start))
	for i := start; i < len(sorted); i++ {
		x := sorted[i]
		if keep != nil && !keep(x) {
			continue
		}
		if len(out) == size {
			return out, base64.RawURLEncoding.EncodeToString([]byte(key(out[len(out)-1]))), nil
		}
		out = append(out, x)
	}
	return out, "", nil
}

// ValidateArguments checks a call's arguments against the input schema.
// The error names every offending field.
func (t *Tool) ValidateArguments(args json.RawMessage) error {
	if len(args) == 0 {
		args = []byte("{}")
	}
	return t.input.validate(args)
}

// ValidateStructured checks a result's structured content against the
// output schema. A tool with an output schema must return structured content.
func (t *Tool) ValidateStructured(sc []byte) error {
	if t.output == nil {
		return nil
	}
	if len(sc) == 0 {
		return fmt.Errorf("the tool declares an outputSchema but returned no structuredContent")
	}
	return t.output.validate(sc)
}
