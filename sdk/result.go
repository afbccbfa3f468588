package sdk

import (
	"encoding/json"
	"fmt"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Result is what a tool call returns: content blocks for the model, optional
// structured content matching the tool's output schema, and whether the call
// failed in a way the model should see.
type Result struct {
	Content           []Content
	StructuredContent any
	IsError           bool
	Meta              map[string]any
}

// Content is one MCP content block: *TextContent, *ImageContent,
// *AudioContent, *ResourceLink or *EmbeddedResource.
type Content interface {
	proto() (*toolgatev1.Content, error)
}

// ContentAnnotations are the optional MCP annotations of a content block.
type ContentAnnotations struct {
	Audience     []string `json:"audience,omitempty"`
	Priority     *float64 `json:"priority,omitempty"`
	LastModified string   `json:"lastModified,omitempty"`
}

// Block holds what every content block may carry besides its body.
type Block struct {
	Annotations *ContentAnnotations
	Meta        map[string]any
}

type TextContent struct {
	Text string
	Block
}

type ImageContent struct {
	Data     []byte // raw bytes; the host base64-encodes them
	MIMEType string
	Block
}

type AudioContent struct {
	Data     []byte // raw bytes; the host base64-encodes them
	MIMEType string
	Block
}

type ResourceLink struct {
	URI, Name, Title, Description, MIMEType string
	Size                                    *int64
	Block
}

// EmbeddedResource carries a resource's contents: Blob when it is set, else Text.
type EmbeddedResource struct {
	URI, MIMEType string
	Text          string
	Blob          []byte
	ResourceMeta  map[string]any
	Block
}

// Text returns a text content block.
func Text(s string) *TextContent { return &TextContent{Text: s} }

// TextResult returns a result with one text block.
func TextResult(s string) *Result { return &Result{Content: []Content{Text(s)}} }

// ErrorResult returns a failed result whose text the model reads.
func ErrorResult(format string, args ...any) *Result {
	return &Result{Content: []Content{Text(fmt.Sprintf(format, args...))}, IsError: true}
}

// StructuredResult returns v as structured content, mirrored as a JSON text
// block for clients that read only content.
func StructuredResult(v any) (*Result, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding structured content: %w", err)
	}
	return &Result{Content: []Content{Text(string(b))}, StructuredContent: json.RawMessage(b)}, nil
}

func (c *TextContent) proto() (*toolgatev1.Content, error) {
	return c.Block.wrap(&toolgatev1.Content{Kind: &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: c.Text}}})
}

func (c *ImageContent) proto() (*toolgatev1.Content, error) {
	return c.Block.wrap(&toolgatev1.Content{Kind: &toolgatev1.Content_Image{
		Image: &toolgatev1.ImageContent{Data: c.Data, MimeType: c.MIMEType}}})
}

func (c *AudioContent) proto() (*toolgatev1.Content, error) {
	return c.Block.wrap(&toolgatev1.Content{Kind: &toolgatev1.Content_Audio{
		Audio: &toolgatev1.AudioContent{Data: c.Data, MimeType: c.MIMEType}}})
}

func (c *ResourceLink) proto() (*toolgatev1.Content, error) {
	return c.Block.wrap(&toolgatev1.Content{Kind: &toolgatev1.Content_ResourceLink{ResourceLink: &toolgatev1.ResourceLink{
		Uri: c.URI, Name: c.Name, Title: c.Title, Description: c.Description, MimeType: c.MIMEType, Size: c.Size,
	}}})
}

func (c *EmbeddedResource) proto() (*toolgatev1.Content, error) {
	meta, err := optionalJSON(c.ResourceMeta)
	if err != nil {
		return nil, fmt.Errorf("resource _meta: %w", err)
	}
	r := &toolgatev1.EmbeddedResource{Uri: c.URI, MimeType: c.MIMEType, Meta: meta}
	if c.Blob != nil {
		r.Body = &toolgatev1.EmbeddedResource_Blob{Blob: c.Blob}
	} else {
		r.Body = &toolgatev1.EmbeddedResource_Text{Text: c.Text}
	}
	return c.Block.wrap(&toolgatev1.Content{Kind: &toolgatev1.Content_Resource{Resource: r}})
}

func (b Block) wrap(c *toolgatev1.Content) (*toolgatev1.Content, error) {
	var err error
	if b.Annotations != nil {
		if c.Annotations, err = json.Marshal(b.Annotations); err != nil {
			return nil, fmt.Errorf("content annotations: %w", err)
		}
	}
	if c.Meta, err = optionalJSON(b.Meta); err != nil {
		return nil, fmt.Errorf("content _meta: %w", err)
	}
	return c, nil
}

// toProto converts a result for the wire.
func (r *Result) toProto() (*toolgatev1.CallToolResult, error) {
	meta, err := optionalJSON(r.Meta)
	if err != nil {
		return nil, fmt.Errorf("result _meta: %w", err)
	}
	out := &toolgatev1.CallToolResult{IsError: r.IsError, Meta: meta}
	for i, c := range r.Content {
		if c == nil {
			return nil, fmt.Errorf("content block %d is nil", i)
		}
		pc, err := c.proto()
		if err != nil {
			return nil, fmt.Errorf("content block %d: %w", i, err)
		}
		out.Content = append(out.Content, pc)
	}
	if r.StructuredContent != nil {
		if out.StructuredContent, err = json.Marshal(r.StructuredContent); err != nil {
			return nil, fmt.Errorf("encoding structured content: %w", err)
		}
	}
	return out, nil
}

// optionalJSON encodes an optional JSON object; nil and empty maps stay empty.
func optionalJSON(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}
