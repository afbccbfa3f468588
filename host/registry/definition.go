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

func encodeDefinition(t *toolgatev1.Tool) (json.RawMessage, error) {
	d := definition{
		Name:         t.GetName(),
		Title:        t.GetTitle(),
		Description:  t.GetDescription(),
		InputSchema:  t.GetInputSchema(),
		OutputSchema: t.GetOutputSchema(),
	}
	if len(t.GetMeta()) > 0 {
		if !json.Valid(t.GetMeta()) || t.GetMeta()[0] != '{' {
			return nil, fmt.Errorf("_meta must be a JSON object")
		}
		d.Meta = t.GetMeta()
	}
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
