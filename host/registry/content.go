package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Provider serves the prompts, resources and completions of one plugin.
type Provider interface {
	GetPrompt(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error)
	ReadResource(ctx context.Context, req *toolgatev1.ReadResourceRequest) (*toolgatev1.ReadResourceResult, error)
	Complete(ctx context.Context, req *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error)
}

// Prompt is one prompt of the catalog.
type Prompt struct {
	Name    string
	Plugin  string
	Scopes  []string
	Timeout time.Duration
	// Required are the names of the arguments a prompts/get must give.
	Required []string
	// Definition is the MCP Prompt object, encoded once for every prompts/list.
	Definition json.RawMessage
	Provider   Provider
}

// Resource is one resource of the catalog, or one resource template: then
// URI is the template, and the resources it stands for are the URIs that
// match it.
type Resource struct {
	URI      string
	Template bool
	Plugin   string
	Scopes   []string
	Timeout  time.Duration
	// Definition is the MCP Resource or ResourceTemplate object, encoded
	// once for every resources/list or resources/templates/list.
	Definition json.RawMessage
	Provider   Provider

	pattern *sdk.URITemplate
}

// Variables returns the template's variable names; none for a resource.
func (r *Resource) Variables() []string {
	if r.pattern == nil {
		return nil
	}
	return r.pattern.Variables()
}

// contents is the prompt and resource part of the catalog.
type contents struct {
	prompts   map[string]*Prompt
	resources map[string]*Resource // resources and templates, by URI or template
	// The sorted lists are what the list methods page through.
	sortedPrompts   []*Prompt
	sortedResources []*Resource
	sortedTemplates []*Resource
}

// uriScheme is the start of an absolute URI (RFC 3986 §3.1).
var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// addContents adds a plugin's prompts, resources and templates.
func (c *contents) add(cfg *config.Config, src Source) error {
	for _, def := range src.Prompts {
		p, err := newPrompt(cfg, src, def)
		if err != nil {
			return fmt.Errorf("plugin %s: prompt %q: %w", src.Plugin, def.GetName(), err)
		}
		if prev, dup := c.prompts[p.Name]; dup {
			return fmt.Errorf("prompt %q is offered by both plugin %s and plugin %s: prompt names must be unique; remove one of the plugins from mcp.toml",
				p.Name, prev.Plugin, src.Plugin)
		}
		c.prompts[p.Name] = p
		c.sortedPrompts = append(c.sortedPrompts, p)
	}
	for _, def := range src.Resources {
		r, err := newResource(cfg, src, def)
		if err != nil {
			return fmt.Errorf("plugin %s: resource %q: %w", src.Plugin, def.GetUri(), err)
		}
		if err := c.addResource(r); err != nil {
			return err
		}
		c.sortedResources = append(c.sortedResources, r)
	}
	for _, def := range src.ResourceTemplates {
		r, err := newTemplate(cfg, src, def)
		if err != nil {
			return fmt.Errorf("plugin %s: resource template %q: %w", src.Plugin, def.GetUriTemplate(), err)
		}
		if err := c.addResource(r); err != nil {
			return err
		}
		c.sortedTemplates = append(c.sortedTemplates, r)
	}
	return nil
}

func (c *contents) addResource(r *Resource) error {
	if prev, dup := c.resources[r.URI]; dup {
		return fmt.Errorf("resource %q is offered by both plugin %s and plugin %s: resource URIs and templates must be unique; remove one of the plugins from mcp.toml",
			r.URI, prev.Plugin, r.Plugin)
	}
	c.resources[r.URI] = r
	return nil
}

// finish sorts the lists and checks that every [[prompts]] and
// [[resources]] entry names something a plugin offers.
func (c *contents) finish(cfg *config.Config) error {
	sort.Slice(c.sortedPrompts, func(i, j int) bool { return c.sortedPrompts[i].Name < c.sortedPrompts[j].Name })
	sort.Slice(c.sortedResources, func(i, j int) bool { return c.sortedResources[i].URI < c.sortedResources[j].URI })
	sort.Slice(c.sortedTemplates, func(i, j int) bool { return c.sortedTemplates[i].URI < c.sortedTemplates[j].URI })
	for i, p := range cfg.Prompts {
		if _, ok := c.prompts[p.Name]; !ok {
			return fmt.Errorf("%s: prompts[%d].name: no plugin offers a prompt named %q", cfg.File, i, p.Name)
		}
	}
	for i, r := range cfg.Resources {
		if _, ok := c.resources[r.URI]; !ok {
			return fmt.Errorf("%s: resources[%d].uri: no plugin offers a resource or resource template %q; write it exactly as resources/list or resources/templates/list shows it",
				cfg.File, i, r.URI)
		}
	}
	return nil
}

func newPrompt(cfg *config.Config, src Source, def *toolgatev1.Prompt) (*Prompt, error) {
	if !toolName.MatchString(def.GetName()) {
		return nil, fmt.Errorf("name must be 1 to 128 characters of A-Z a-z 0-9 _ . -")
	}
	var override []string
	for _, r := range cfg.Prompts {
		if r.Name == def.GetName() {
			override = r.Scopes
		}
	}
	p := &Prompt{Name: def.GetName(), Plugin: src.Plugin, Provider: src.Provider,
		Scopes:  pickScopes(cfg.Auth.DefaultPromptScopes, def.GetSuggestedScopes(), override),
		Timeout: firstPositive(src.Timeout, cfg.Server.CallTimeout)}
	args := make([]promptArgument, 0, len(def.GetArguments()))
	for _, a := range def.GetArguments() {
		if a.GetName() == "" || slices.ContainsFunc(args, func(b promptArgument) bool { return b.Name == a.GetName() }) {
			return nil, fmt.Errorf("argument %q: every argument needs a name of its own", a.GetName())
		}
		args = append(args, promptArgument{Name: a.GetName(), Title: a.GetTitle(), Description: a.GetDescription(), Required: a.GetRequired()})
		if a.GetRequired() {
			p.Required = append(p.Required, a.GetName())
		}
	}
	meta, err := mergeMeta(def.GetMeta(), scopesMeta(cfg, p.Scopes))
	if err != nil {
		return nil, err
	}
	p.Definition, err = encode(promptDefinition{Name: p.Name, Title: def.GetTitle(), Description: def.GetDescription(), Arguments: args, Meta: meta})
	return p, err
}

func newResource(cfg *config.Config, src Source, def *toolgatev1.Resource) (*Resource, error) {
	if !uriScheme.MatchString(def.GetUri()) {
		return nil, fmt.Errorf("uri must be an absolute URI, with a scheme")
	}
	if def.GetName() == "" {
		return nil, fmt.Errorf("name must be set")
	}
	r := newEntry(cfg, src, def.GetUri(), def.GetSuggestedScopes())
	meta, err := mergeMeta(def.GetMeta(), scopesMeta(cfg, r.Scopes))
	if err != nil {
		return nil, err
	}
	r.Definition, err = encode(resourceDefinition{
		URI: def.GetUri(), Name: def.GetName(), Title: def.GetTitle(), Description: def.GetDescription(),
		MIMEType: def.GetMimeType(), Size: def.Size, Annotations: def.GetAnnotations(), Meta: meta,
	})
	return r, err
}

func newTemplate(cfg *config.Config, src Source, def *toolgatev1.ResourceTemplate) (*Resource, error) {
	pattern, err := sdk.ParseURITemplate(def.GetUriTemplate())
	if err != nil {
		return nil, err
	}
	if !uriScheme.MatchString(def.GetUriTemplate()) {
		return nil, fmt.Errorf("uriTemplate must be an absolute URI, with a scheme")
	}
	if def.GetName() == "" {
		return nil, fmt.Errorf("name must be set")
	}
	r := newEntry(cfg, src, def.GetUriTemplate(), def.GetSuggestedScopes())
	r.Template, r.pattern = true, pattern
	meta, err := mergeMeta(def.GetMeta(), scopesMeta(cfg, r.Scopes))
	if err != nil {
		return nil, err
	}
	r.Definition, err = encode(templateDefinition{
		URITemplate: def.GetUriTemplate(), Name: def.GetName(), Title: def.GetTitle(), Description: def.GetDescription(),
		MIMEType: def.GetMimeType(), Annotations: def.GetAnnotations(), Meta: meta,
	})
	return r, err
}

func newEntry(cfg *config.Config, src Source, uri string, suggested []string) *Resource {
	var override []string
	for _, rule := range cfg.Resources {
		if rule.URI == uri {
			override = rule.Scopes
		}
	}
	return &Resource{URI: uri, Plugin: src.Plugin, Provider: src.Provider,
		Scopes:  pickScopes(cfg.Auth.DefaultResourceScopes, suggested, override),
		Timeout: firstPositive(src.Timeout, cfg.Server.CallTimeout)}
}

// scopesMeta is what Toolgate adds to a listed prompt's or resource's _meta.
func scopesMeta(cfg *config.Config, scopes []string) map[string]any {
	if !cfg.Auth.Enabled {
		return nil
	}
	return map[string]any{metaRequiredScopes: scopes}
}

// LookupPrompt finds a prompt by name.
func (r *Registry) LookupPrompt(name string) (*Prompt, bool) {
	p, ok := r.prompts[name]
	return p, ok
}

// LookupResource finds what serves uri: the resource with that URI, else
// the first template in template order that uri matches, with the values
// of its variables.
func (r *Registry) LookupResource(uri string) (*Resource, map[string]string, bool) {
	if res, ok := r.resources[uri]; ok && !res.Template {
		return res, nil, true
	}
	for _, t := range r.sortedTemplates {
		if vars, ok := t.pattern.Match(uri); ok {
			return t, vars, true
		}
	}
	return nil, nil, false
}

// LookupTemplate finds the template a completion refers to: by its URI
// template as listed, else the template a URI matches.
func (r *Registry) LookupTemplate(uri string) (*Resource, bool) {
	if res, ok := r.resources[uri]; ok && res.Template {
		return res, true
	}
	res, _, ok := r.LookupResource(uri)
	return res, ok && res.Template
}

// Prompts, Resources and Templates return the catalog's entries in name,
// URI and template order. The slices must not be modified.
func (r *Registry) Prompts() []*Prompt     { return r.sortedPrompts }
func (r *Registry) Resources() []*Resource { return r.sortedResources }
func (r *Registry) Templates() []*Resource { return r.sortedTemplates }

// PagePrompts, PageResources and PageTemplates page through the lists as
// Page does through the tools.
func (r *Registry) PagePrompts(cursor string, size int, keep func(*Prompt) bool) ([]*Prompt, string, error) {
	return page(r.sortedPrompts, func(p *Prompt) string { return p.Name }, cursor, size, keep)
}

func (r *Registry) PageResources(cursor string, size int, keep func(*Resource) bool) ([]*Resource, string, error) {
	return page(r.sortedResources, func(x *Resource) string { return x.URI }, cursor, size, keep)
}

func (r *Registry) PageTemplates(cursor string, size int, keep func(*Resource) bool) ([]*Resource, string, error) {
	return page(r.sortedTemplates, func(x *Resource) string { return x.URI }, cursor, size, keep)
}
