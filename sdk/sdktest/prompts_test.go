package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// contentPlugin offers a prompt, a resource and a template, each of which
// fails on request, so one plugin shows every way a handler ends.
func contentPlugin() *sdk.Plugin {
	return &sdk.Plugin{
		Prompts: []sdk.Prompt{{
			Name: "greet", Title: "Greet", Description: "Greets someone.",
			Arguments: []sdk.PromptArgument{{Name: "who", Description: "Whom to greet.", Required: true}, {Name: "mood"}},
			Scopes:    []string{"prompts:greet"},
			Handler: func(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
				switch who := req.Arguments["who"]; who {
				case "":
					return nil, fmt.Errorf("%w: who must not be empty", sdk.ErrInvalidArguments)
				case "panic":
					panic("secret detail")
				case "fail":
					return nil, errors.New("the template store is down")
				case "bad":
					return &sdk.PromptResult{Messages: []sdk.PromptMessage{{Role: "system", Content: sdk.Text("x")}}}, nil
				default:
					return &sdk.PromptResult{Description: "A greeting", Messages: []sdk.PromptMessage{
						sdk.UserMessage(sdk.Text("Greet " + who)),
						sdk.AssistantMessage(&sdk.ImageContent{Data: []byte{1, 2}, MIMEType: "image/png"}),
					}}, nil
				}
			},
			Complete: sdk.CompleteFrom(map[string][]string{"mood": {"happy", "hungry", "sad"}}),
		}},
		Resources: []sdk.Resource{{
			URI: "test://static", Name: "static", MIMEType: "text/plain", Scopes: []string{"res:read"},
			Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
				return sdk.TextContents(req.URI, "text/plain", "static text"), nil
			},
		}},
		ResourceTemplates: []sdk.ResourceTemplate{{
			URITemplate: "test://items/{id}", Name: "item",
			Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
				switch id := req.Variables["id"]; id {
				case "missing":
					return nil, fmt.Errorf("item %s: %w", id, sdk.ErrNotFound)
				case "empty":
					return nil, nil
				default:
					return []sdk.ResourceContents{{URI: req.URI, MIMEType: "application/octet-stream", Blob: []byte(id)}}, nil
				}
			},
			Complete: func(_ context.Context, req *sdk.CompleteRequest) (*sdk.Completion, error) {
				var c sdk.Completion
				for i := range 150 {
					c.Values = append(c.Values, fmt.Sprintf("%s%d", req.Value, i))
				}
				c.Total = 150
				return &c, nil
			},
		}},
	}
}

func TestPromptsResourcesAndTemplatesAreOffered(t *testing.T) {
	c := sdktest.Start(t, contentPlugin(), nil)
	if len(c.Prompts()) != 1 || len(c.Resources()) != 1 || len(c.ResourceTemplates()) != 1 {
		t.Fatalf("got %d prompts, %d resources, %d templates; want one of each", len(c.Prompts()), len(c.Resources()), len(c.ResourceTemplates()))
	}
	p := c.Prompts()[0]
	if p.GetName() != "greet" || p.GetTitle() != "Greet" || len(p.GetArguments()) != 2 ||
		!p.GetArguments()[0].GetRequired() || p.GetArguments()[1].GetRequired() || p.GetSuggestedScopes()[0] != "prompts:greet" {
		t.Errorf("got prompt %v", p)
	}
	if r := c.Resources()[0]; r.GetUri() != "test://static" || r.GetMimeType() != "text/plain" || r.GetSuggestedScopes()[0] != "res:read" {
		t.Errorf("got resource %v", r)
	}
}

func TestGetPrompt(t *testing.T) {
	c := sdktest.Start(t, contentPlugin(), nil)
	res, err := c.GetPrompt(t.Context(), "greet", map[string]string{"who": "ada"})
	if err != nil {
		t.Fatalf("getting greet: %v", err)
	}
	m := res.GetMessages()
	if res.GetDescription() != "A greeting" || len(m) != 2 || m[0].GetRole() != "user" ||
		m[0].GetContent().GetText().GetText() != "Greet ada" || m[1].GetRole() != "assistant" || m[1].GetContent().GetImage() == nil {
		t.Errorf("got %v", res)
	}
}

func TestPromptFailures(t *testing.T) {
	c := sdktest.Start(t, contentPlugin(), nil)
	tests := []struct {
		name, prompt, who string
		code              codes.Code
		want              string // in the message
	}{
		{"unknown prompt", "nope", "ada", codes.NotFound, `no prompt named "nope"`},
		{"invalid arguments", "greet", "", codes.InvalidArgument, "who must not be empty"},
		{"failure", "greet", "fail", codes.Internal, "the template store is down"},
		{"panic", "greet", "panic", codes.Internal, "internal error"},
		{"invalid result", "greet", "bad", codes.Internal, `role "system"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetPrompt(t.Context(), tt.prompt, map[string]string{"who": tt.who})
			st := status.Convert(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.want) {
				t.Errorf("got %v, want code %v and a message containing %q", err, tt.code, tt.want)
			}
			if strings.Contains(st.Message(), "secret detail") {
				t.Errorf("got message %q, want the panic value kept out of it", st.Message())
			}
		})
	}
	// The plugin serves on after the panic.
	if _, err := c.GetPrompt(t.Context(), "greet", map[string]string{"who": "bob"}); err != nil {
		t.Errorf("after the failures: %v", err)
	}
}

func TestReadResource(t *testing.T) {
	c := sdktest.Start(t, contentPlugin(), nil)
	res, err := c.ReadResource(t.Context(), "test://static")
	if err != nil || len(res.GetContents()) != 1 || res.GetContents()[0].GetText() != "static text" {
		t.Fatalf("reading test://static: got %v, %v", res, err)
	}
	res, err = c.ReadResource(t.Context(), "test://items/42")
	if err != nil || string(res.GetContents()[0].GetBlob()) != "42" || res.GetContents()[0].GetUri() != "test://items/42" {
		t.Fatalf("reading test://items/42: got %v, %v", res, err)
	}
	for uri, code := range map[string]codes.Code{"test://items/missing": codes.NotFound, "test://items/empty": codes.Internal} {
		if _, err := c.ReadResource(t.Context(), uri); status.Code(err) != code {
			t.Errorf("reading %s: got %v, want code %v", uri, err, code)
		}
	}
}

func TestComplete(t *testing.T) {
	c := sdktest.Start(t, contentPlugin(), nil)
	res, err := c.CompletePrompt(t.Context(), "greet", "mood", "h", nil)
	if err != nil || strings.Join(res.GetValues(), ",") != "happy,hungry" || res.GetTotal() != 2 || res.GetHasMore() {
		t.Errorf("completing mood: got %v, %v", res, err)
	}
	// An argument the handler knows nothing of completes to nothing.
	if res, err := c.CompletePrompt(t.Context(), "greet", "who", "a", nil); err != nil || len(res.GetValues()) != 0 {
		t.Errorf("completing who: got %v, %v", res, err)
	}
	// MCP allows 100 values; the rest are cut and hasMore says so.
	res, err = c.CompleteTemplate(t.Context(), "test://items/{id}", "id", "x", nil)
	if err != nil || len(res.GetValues()) != 100 || !res.GetHasMore() || res.GetTotal() != 150 {
		t.Errorf("completing id: got %d values, hasMore %v, total %d, %v", len(res.GetValues()), res.GetHasMore(), res.GetTotal(), err)
	}
	if _, err := c.CompletePrompt(t.Context(), "nope", "x", "", nil); status.Code(err) != codes.NotFound {
		t.Errorf("completing an unknown prompt: got %v, want NotFound", err)
	}
}

func TestResourceUpdatedReachesWatcher(t *testing.T) {
	p := contentPlugin()
	c := sdktest.Start(t, p, nil)
	updates, err := c.WatchResources(t.Context())
	if err != nil {
		t.Fatalf("watching: %v", err)
	}
	p.ResourceUpdated("test://static")
	select {
	case got := <-updates:
		if got != "test://static" {
			t.Errorf("got update %q, want test://static", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no update within 10s")
	}
}

func TestDuplicateOrBrokenOfferingsFailInit(t *testing.T) {
	h := func(context.Context, *sdk.ResourceRequest) ([]sdk.ResourceContents, error) { return nil, nil }
	tests := []struct {
		name   string
		plugin *sdk.Plugin
		want   string
	}{
		{"two prompts one name", &sdk.Plugin{Prompts: []sdk.Prompt{{Name: "a"}, {Name: "a"}}}, `prompts are both "a"`},
		{"bad template", &sdk.Plugin{ResourceTemplates: []sdk.ResourceTemplate{{URITemplate: "x://{a,b}", Handler: h}}}, "not supported"},
		{"no handler", &sdk.Plugin{Resources: []sdk.Resource{{URI: "x://a"}}}, "no handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sdktest.Init(t, tt.plugin, nil)
			if err == nil || !strings.Contains(status.Convert(err).Message(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
