package sdktest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Prompts returns the prompts the plugin offered in its Init response.
func (c *Client) Prompts() []*toolgatev1.Prompt { return c.init.GetPrompts() }

// Resources returns the resources the plugin offered in its Init response.
func (c *Client) Resources() []*toolgatev1.Resource { return c.init.GetResources() }

// ResourceTemplates returns the templates the plugin offered in its Init response.
func (c *Client) ResourceTemplates() []*toolgatev1.ResourceTemplate {
	return c.init.GetResourceTemplates()
}

// GetPrompt renders the prompt name with args. Unlike the host, it does not
// check for required arguments first, so a test can see what the handler
// does without them. The error is the plugin's gRPC status error.
func (c *Client) GetPrompt(ctx context.Context, name string, args map[string]string) (*toolgatev1.GetPromptResult, error) {
	return c.rpc.GetPrompt(ctx, &toolgatev1.GetPromptRequest{
		Name: name, Arguments: args, RequestId: fmt.Sprintf("sdktest-%d", callSeq.Add(1)),
	})
}

// GetPromptRequest is GetPrompt with a request of the test's making: a
// caller, client capabilities, or a later round's answers and state.
func (c *Client) GetPromptRequest(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error) {
	return c.rpc.GetPrompt(ctx, req)
}

// ReadResource reads uri as the host would: the offered resource with that
// URI, else the first offered template it matches, with the template's
// variables. A URI that matches nothing offered is an error of sdktest's.
func (c *Client) ReadResource(ctx context.Context, uri string) (*toolgatev1.ReadResourceResult, error) {
	req := &toolgatev1.ReadResourceRequest{Uri: uri, RequestId: fmt.Sprintf("sdktest-%d", callSeq.Add(1))}
	if !c.offersResource(uri) {
		tmpl, vars, err := c.matchTemplate(uri)
		if err != nil {
			return nil, err
		}
		req.UriTemplate, req.Variables = tmpl, vars
	}
	return c.rpc.ReadResource(ctx, req)
}

func (c *Client) offersResource(uri string) bool {
	for _, r := range c.init.GetResources() {
		if r.GetUri() == uri {
			return true
		}
	}
	return false
}

func (c *Client) matchTemplate(uri string) (string, map[string]string, error) {
	for _, t := range c.init.GetResourceTemplates() {
		tmpl, err := sdk.ParseURITemplate(t.GetUriTemplate())
		if err != nil {
			return "", nil, fmt.Errorf("sdktest: %w", err)
		}
		if vars, ok := tmpl.Match(uri); ok {
			return t.GetUriTemplate(), vars, nil
		}
	}
	return "", nil, fmt.Errorf("sdktest: the plugin offers no resource %q and no template matching it", uri)
}

// CompletePrompt asks for values of a prompt's argument.
func (c *Client) CompletePrompt(ctx context.Context, prompt, argument, value string, chosen map[string]string) (*toolgatev1.CompleteResult, error) {
	return c.rpc.Complete(ctx, &toolgatev1.CompleteRequest{
		Ref: &toolgatev1.CompleteRequest_Prompt{Prompt: prompt}, Argument: argument, Value: value, Context: chosen,
	})
}

// CompleteTemplate asks for values of a resource template's variable.
func (c *Client) CompleteTemplate(ctx context.Context, uriTemplate, variable, value string, chosen map[string]string) (*toolgatev1.CompleteResult, error) {
	return c.rpc.Complete(ctx, &toolgatev1.CompleteRequest{
		Ref: &toolgatev1.CompleteRequest_UriTemplate{UriTemplate: uriTemplate}, Argument: variable, Value: value, Context: chosen,
	})
}

// WatchResources opens the plugin's stream of resource updates and returns
// the URIs as they arrive; the channel closes when ctx is done or the
// stream ends. It returns once the plugin has taken the stream, so an
// update the plugin sends afterwards is not missed.
func (c *Client) WatchResources(ctx context.Context) (<-chan string, error) {
	stream, err := c.rpc.WatchResources(ctx, &toolgatev1.WatchResourcesRequest{})
	if err != nil {
		return nil, err
	}
	// Headers arrive once the plugin's handler runs and has subscribed.
	if _, err := stream.Header(); err != nil {
		return nil, err
	}
	out := make(chan string)
	go func() {
		defer close(out)
		for {
			u, err := stream.Recv()
			if errors.Is(err, io.EOF) || err != nil {
				return
			}
			select {
			case out <- u.GetUri():
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// WatchOffer opens the plugin's stream of offer changes and returns the
// offer as it is, then each new one as it arrives; the channel closes when ctx is done or the
// stream ends. It returns once the plugin has taken the stream, so a change
// made afterwards is not missed.
func (c *Client) WatchOffer(ctx context.Context) (<-chan *toolgatev1.InitResponse, error) {
	stream, err := c.rpc.WatchOffer(ctx, &toolgatev1.WatchOfferRequest{})
	if err != nil {
		return nil, err
	}
	if _, err := stream.Header(); err != nil {
		return nil, err
	}
	out := make(chan *toolgatev1.InitResponse)
	go func() {
		defer close(out)
		for {
			o, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case out <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
