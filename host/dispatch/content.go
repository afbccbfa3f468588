package dispatch

import (
	"encoding/json"
	"fmt"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// callResult is the MCP CallToolResult.
type callResult struct {
	ResultType        string          `json:"resultType,omitempty"`
	Content           []any           `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent,omitempty"`
	IsError           bool            `json:"isError,omitempty"`
	Meta              json.RawMessage `json:"_meta,omitempty"`
}

// The MCP content block kinds. json.Marshal base64-encodes []byte, which is
// what image, audio and blob data need.
type (
	textContent struct {
		Type        string          `json:"type"`
		Text        string          `json:"text"`
		Annotations json.RawMessage `json:"annotations,omitempty"`
		Meta        json.RawMessage `json:"_meta,omitempty"`
	}
	mediaContent struct {
		Type        string          `json:"type"`
		Data        []byte          `json:"data"`
		MIMEType    string          `json:"mimeType"`
		Annotations json.RawMessage `json:"annotations,omitempty"`
		Meta        json.RawMessage `json:"_meta,omitempty"`
	}
	resourceLink struct {
		Type        string          `json:"type"`
		URI         string          `json:"uri"`
		Name        string          `json:"name"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description,omitempty"`
		MIMEType    string          `json:"mimeType,omitempty"`
		Size        *int64          `json:"size,omitempty"`
		Annotations json.RawMessage `json:"annotations,omitempty"`
		Meta        json.RawMessage `json:"_meta,omitempty"`
	}
	embeddedResource struct {
		Type        string           `json:"type"`
		Resource    resourceContents `json:"resource"`
		Annotations json.RawMessage  `json:"annotations,omitempty"`
		Meta        json.RawMessage  `json:"_meta,omitempty"`
	}
	resourceContents struct {
		URI      string          `json:"uri"`
		MIMEType string          `json:"mimeType,omitempty"`
		Text     *string         `json:"text,omitempty"`
		Blob     []byte          `json:"blob,omitempty"`
		Meta     json.RawMessage `json:"_meta,omitempty"`
	}
)

func (s *Server) encodeCallResult(r *Request, res *toolgatev1.CallToolResult) (*callResult, error) {
	out := &callResult{
		Content:           make([]any, 0, len(res.GetContent())),
		StructuredContent: res.GetStructuredContent(),
		IsError:           res.GetIsError(),
	}
	for i, c := range res.GetContent() {
		block, err := contentBlock(c)
		if err != nil {
			return nil, fmt.Errorf("content[%d]: %w", i, err)
		}
		out.Content = append(out.Content, block)
	}
	meta, err := s.resultMeta(r, res.GetMeta())
	if err != nil {
		return nil, err
	}
	out.Meta = meta
	if r.Modern {
		out.ResultType = "complete"
	}
	return out, nil
}

// resultMeta merges the plugin's _meta with the modern era's serverInfo.
func (s *Server) resultMeta(r *Request, plugin []byte) (json.RawMessage, error) {
	if len(plugin) == 0 {
		if r.Modern {
			return s.serverInfoMeta, nil
		}
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(plugin, &m); err != nil {
		return nil, fmt.Errorf("_meta must be a JSON object: %w", err)
	}
	if r.Modern {
		info, _ := json.Marshal(s.opts.Info)
		m[metaServerInfo] = info
	}
	return json.Marshal(m)
}

func contentBlock(c *toolgatev1.Content) (any, error) {
	ann, meta := c.GetAnnotations(), c.GetMeta()
	switch k := c.GetKind().(type) {
	case *toolgatev1.Content_Text:
		return textContent{Type: "text", Text: k.Text.GetText(), Annotations: ann, Meta: meta}, nil
	case *toolgatev1.Content_Image:
		return mediaContent{Type: "image", Data: nonNil(k.Image.GetData()), MIMEType: k.Image.GetMimeType(), Annotations: ann, Meta: meta}, nil
	case *toolgatev1.Content_Audio:
		return mediaContent{Type: "audio", Data: nonNil(k.Audio.GetData()), MIMEType: k.Audio.GetMimeType(), Annotations: ann, Meta: meta}, nil
	case *toolgatev1.Content_ResourceLink:
		l := k.ResourceLink
		return resourceLink{Type: "resource_link", URI: l.GetUri(), Name: l.GetName(), Title: l.GetTitle(),
			Description: l.GetDescription(), MIMEType: l.GetMimeType(), Size: l.Size, Annotations: ann, Meta: meta}, nil
	case *toolgatev1.Content_Resource:
		return embeddedResource{Type: "resource", Resource: resource(k.Resource), Annotations: ann, Meta: meta}, nil
	}
	return nil, fmt.Errorf("content block of unknown kind %T", c.GetKind())
}

func resource(r *toolgatev1.EmbeddedResource) resourceContents {
	out := resourceContents{URI: r.GetUri(), MIMEType: r.GetMimeType(), Meta: r.GetMeta()}
	if b, ok := r.GetBody().(*toolgatev1.EmbeddedResource_Blob); ok {
		out.Blob = nonNil(b.Blob)
	} else {
		text := r.GetText()
		out.Text = &text
	}
	return out
}

// nonNil keeps empty binary data encoding as "" rather than null.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
