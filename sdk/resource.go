package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Resource is a resource a plugin offers at a fixed URI.
type Resource struct {
	// URI is absolute and unique across the host.
	URI         string
	Name        string
	Title       string
	Description string
	MIMEType    string
	Size        *int64
	Annotations *ContentAnnotations
	// Scopes are the OAuth scopes the author suggests a caller needs to
	// read the resource. The operator's mcp.toml has the last word.
	Scopes  []string
	Meta    map[string]any
	Handler ResourceHandler
}

// ResourceTemplate offers the resources whose URIs match a URI template.
// An expression {var} matches a value without "/", {+var} any value; the
// host hands the values to the handler as ResourceRequest.Variables.
type ResourceTemplate struct {
	URITemplate string
	Name        string
	Title       string
	Description string
	MIMEType    string
	Annotations *ContentAnnotations
	Scopes      []string
	Meta        map[string]any
	Handler     ResourceHandler
	// Complete, optional, suggests values for the template's variables.
	Complete CompleteHandler
}

// ResourceHandler reads a resource. Wrap ErrNotFound in the error when the
// URI names nothing that exists; returning no contents is an error too.
type ResourceHandler func(ctx context.Context, req *ResourceRequest) ([]ResourceContents, error)

// ResourceRequest is one resources/read.
type ResourceRequest struct {
	URI string
	// URITemplate is the template URI matched, "" for a fixed resource.
	URITemplate string
	// Variables are the template's variables taken from URI.
	Variables map[string]string
	Caller    Caller
	RequestID string
}

// ResourceContents is the text or, when Blob is set, the binary contents of
// a resource.
type ResourceContents struct {
	URI, MIMEType string
	Text          string
	Blob          []byte
	Meta          map[string]any
}

// TextContents returns one text contents for uri.
func TextContents(uri, mimeType, text string) []ResourceContents {
	return []ResourceContents{{URI: uri, MIMEType: mimeType, Text: text}}
}

func (c ResourceContents) proto() (*toolgatev1.EmbeddedResource, error) {
	if c.URI == "" {
		return nil, errors.New("contents without a uri")
	}
	meta, err := optionalJSON(c.Meta)
	if err != nil {
		return nil, fmt.Errorf("_meta: %w", err)
	}
	r := &toolgatev1.EmbeddedResource{Uri: c.URI, MimeType: c.MIMEType, Meta: meta}
	if c.Blob != nil {
		r.Body = &toolgatev1.EmbeddedResource_Blob{Blob: c.Blob}
	} else {
		r.Body = &toolgatev1.EmbeddedResource_Text{Text: c.Text}
	}
	return r, nil
}

func (r *Resource) proto() (*toolgatev1.Resource, error) {
	if r.Handler == nil {
		return nil, errors.New("no handler")
	}
	ann, meta, err := annotationsAndMeta(r.Annotations, r.Meta)
	if err != nil {
		return nil, err
	}
	return &toolgatev1.Resource{
		Uri: r.URI, Name: r.Name, Title: r.Title, Description: r.Description, MimeType: r.MIMEType,
		Size: r.Size, Annotations: ann, SuggestedScopes: r.Scopes, Meta: meta,
	}, nil
}

func (t *ResourceTemplate) proto() (*toolgatev1.ResourceTemplate, error) {
	if t.Handler == nil {
		return nil, errors.New("no handler")
	}
	ann, meta, err := annotationsAndMeta(t.Annotations, t.Meta)
	if err != nil {
		return nil, err
	}
	return &toolgatev1.ResourceTemplate{
		UriTemplate: t.URITemplate, Name: t.Name, Title: t.Title, Description: t.Description, MimeType: t.MIMEType,
		Annotations: ann, SuggestedScopes: t.Scopes, Meta: meta,
	}, nil
}

func annotationsAndMeta(a *ContentAnnotations, m map[string]any) (ann, meta []byte, err error) {
	if a != nil {
		if ann, err = json.Marshal(a); err != nil {
			return nil, nil, fmt.Errorf("annotations: %w", err)
		}
	}
	if meta, err = optionalJSON(m); err != nil {
		return nil, nil, fmt.Errorf("_meta: %w", err)
	}
	return ann, meta, nil
}

// watchers fans resource updates out to the host's open WatchResources
// streams. An update finds a stream's buffer full only when the host has
// stopped reading; it is dropped then, as updates are hints a client
// follows with a read.
type watchers struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
}

// watchBuffer is how many updates may wait for one stream.
const watchBuffer = 256

func (w *watchers) add() chan string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs == nil {
		w.subs = map[chan string]struct{}{}
	}
	ch := make(chan string, watchBuffer)
	w.subs[ch] = struct{}{}
	return ch
}

func (w *watchers) remove(ch chan string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.subs, ch)
}

func (w *watchers) publish(uri string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs {
		select {
		case ch <- uri:
		default:
			Logger.Warn("resource update dropped: the host is not reading them", "uri", uri)
		}
	}
}

// ResourceUpdated tells the host that the resource at uri changed, so it can
// notify the clients that subscribed to it. It never blocks; before the host
// watches (during Setup), the update is dropped.
func (p *Plugin) ResourceUpdated(uri string) { p.watch.publish(uri) }
