package registry

import (
	"encoding/json"
	"fmt"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// definition is the MCP Tool object. Schemas and _meta are passed through
// byte for byte as the plugin wrote them.
type definition struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  *annotations    `json:"annotations,omitempty"`
	Meta         json.RawMessage `json:"_meta,omitempty"`
}

type annotations struct {
	Title           string `json:"title,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
}

// Keys Toolgate adds to a listed tool's _meta when authorization is on: the
// scopes a call needs, so a client can ask for them up front, and in "mark"
// mode whether this caller may call the tool.
const (
	metaRequiredScopes = "toolgate/requiredScopes"
	metaCallable       = "toolgate/callable"
)

// encodeDefinition encodes the tool for tools/list; extra entries are
// merged into the plugin's _meta.
func encodeDefinition(t *toolgatev1.Tool, extra map[string]any) (json.RawMessage, error) {
	d := definition{
		Name:         t.GetName(),
		Title:        t.GetTitle(),
		Description:  t.GetDescription(),
		InputSchema:  t.GetInputSchema(),
		OutputSchema: t.GetOutputSchema(),
	}
	meta, err := mergeMeta(t.GetMeta(), extra)
	if err != nil {
		return nil, err
	}
	d.Meta = meta
	if a := t.GetAnnotations(); a != nil {
		ann := annotations{Title: a.GetTitle(), ReadOnlyHint: a.ReadOnlyHint, DestructiveHint: a.DestructiveHint,
			IdempotentHint: a.IdempotentHint, OpenWorldHint: a.OpenWorldHint}
		if ann != (annotations{}) {
			d.Annotations = &ann
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding the tool definition: %w", err)
	}
	return b, nil
}

func mergeMeta(plugin []byte, extra map[string]any) (json.RawMessage, error) {
	if len(plugin) == 0 && len(extra) == 0 {
		return nil, nil
	}
	m := map[string]any{}
	if len(plugin) > 0 {
		if err := json.Unmarshal(plugin, &m); err != nil {
			return nil, fmt.Errorf("_meta must be a JSON object: %w", err)
		}
	}
	for k, v := range extra {
		m[k] = v
	}
	return json.Marshal(m)
}

// The MCP Prompt, Resource and ResourceTemplate objects. Annotations and
// _meta are passed through byte for byte as the plugin wrote them.
type (
	promptDefinition struct {
		Name        string           `json:"name"`
		Title       string           `json:"title,omitempty"`
		Description string           `json:"description,omitempty"`
		Arguments   []promptArgument `json:"arguments,omitempty"`
		Meta        json.RawMessage  `json:"_meta,omitempty"`
	}
	promptArgument struct {
		Name        string `json:"name"`
		Title       string `json:"title,omitempty"`
		Description string `json:"description,omitempty"`
		Required    bool   `json:"required,omitempty"`
	}
	resourceDefinition struct {
		URI         string          `json:"uri"`
		Name        string          `json:"name"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description,omitempty"`
		MIMEType    string          `json:"mimeType,omitempty"`
		Size        *int64          `json:"size,omitempty"`
		Annotations json.RawMessage `json:"annotations,omitempty"`
		Meta        json.RawMessage `json:"_meta,omitempty"`
	}
	templateDefinition struct {
		URITemplate string          `json:"uriTemplate"`
		Name        string          `json:"name"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description,omitempty"`
		MIMEType    string          `json:"mimeType,omitempty"`
		Annotations json.RawMessage `json:"annotations,omitempty"`
		Meta        json.RawMessage `json:"_meta,omitempty"`
	}
)

// encode encodes a definition whose _meta is already merged.
func encode(d any) (json.RawMessage, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding the definition: %w", err)
	}
	return b, nil
}
