//go:build unix

package e2e

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearerRoundTripper sends every request with a bearer token.
type bearerRoundTripper struct{ token string }

func (b bearerRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// TestInteropGoClient has the official Go SDK client, in the session era and
// in 2026-07-28, with authorization on, read resources and a template,
// list and get a prompt, complete, subscribe to a resource and answer the
// probe's elicitations with its ElicitationHandler: in a session through
// elicitation/create on the call's stream, in 2026-07-28 through the SDK's
// own handling of input_required results; and cancel a call and go on
// using the connection. Progress and logs with this client are
// TestSDKClientStreaming's.
func TestInteropGoClient(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, authHostConfig(probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	httpClient := &http.Client{Transport: bearerRoundTripper{mintToken(t, h, "ada", probeScopes)}}
	for _, version := range []string{sessionVersion, modernVersion} {
		t.Run(version, func(t *testing.T) {
			var (
				mu      sync.Mutex
				updated []string
				asked   []string
			)
			client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, &mcp.ClientOptions{
				ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
					mu.Lock()
					updated = append(updated, r.Params.URI)
					mu.Unlock()
				},
				ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					mu.Lock()
					asked = append(asked, r.Params.Message)
					mu.Unlock()
					if r.Params.Message == "What is your name?" {
						return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Grace"}}, nil
					}
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"color": "amber"}}, nil
				},
			})
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url, HTTPClient: httpClient, MaxRetries: -1},
				&mcp.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if got := cs.InitializeResult().ProtocolVersion; got != version {
				t.Fatalf("got protocol version %q, want %q", got, version)
			}

			t.Run("resources", func(t *testing.T) {
				list, err := cs.ListResources(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				templates, err := cs.ListResourceTemplates(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Resources) != 1 || list.Resources[0].URI != "probe://static.txt" ||
					len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate != "probe://items/{id}" {
					t.Errorf("got resources %+v, templates %+v; want the probe's", list.Resources, templates.ResourceTemplates)
				}
				for uri, want := range map[string]string{"probe://static.txt": "static text", "probe://items/7": `{"id":"7"}`} {
					res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
					if err != nil {
						t.Fatalf("read %s: %v", uri, err)
					}
					if len(res.Contents) != 1 || res.Contents[0].URI != uri || res.Contents[0].Text != want {
						t.Errorf("read %s: got %+v, want %q", uri, res.Contents, want)
					}
				}
				// Resource not found is -32602 in 2026-07-28, -32002 before.
				wantCode := int64(-32002)
				if version == modernVersion {
					wantCode = -32602
				}
				var werr *jsonrpc.Error
				if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "probe://items/missing"}); !errors.As(err, &werr) || werr.Code != wantCode {
					t.Errorf("reading probe://items/missing: got %v, want error code %d", err, wantCode)
				}
			})

			t.Run("prompts", func(t *testing.T) {
				list, err := cs.ListPrompts(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Prompts) != 1 || list.Prompts[0].Name != "probe_prompt" || len(list.Prompts[0].Arguments) != 2 {
					t.Errorf("got prompts %+v, want probe_prompt with two arguments", list.Prompts)
				}
				res, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "probe_prompt", Arguments: map[string]string{"text": "hi", "tone": "grave"}})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Messages) != 1 || res.Messages[0].Role != "user" {
					t.Fatalf("got messages %+v, want one from the user", res.Messages)
				}
				if tc, ok := res.Messages[0].Content.(*mcp.TextContent); !ok || tc.Text != "hi grave" {
					t.Errorf("got content %#v, want text \"hi grave\"", res.Messages[0].Content)
				}
			})

			t.Run("complete", func(t *testing.T) {
				res, err := cs.Complete(ctx, &mcp.CompleteParams{
					Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "probe_prompt"},
					Argument: mcp.CompleteParamsArgument{Name: "tone", Value: "g"},
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.Completion.Values, []string{"grave"}) {
					t.Errorf("got %v, want [grave]", res.Completion.Values)
				}
				res, err = cs.Complete(ctx, &mcp.CompleteParams{
					Ref:      &mcp.CompleteReference{Type: "ref/resource", URI: "probe://items/{id}"},
					Argument: mcp.CompleteParamsArgument{Name: "id", Value: "1"},
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.Completion.Values, []string{"1", "12", "123"}) {
					t.Errorf("got %v, want [1 12 123]", res.Completion.Values)
				}
			})

			t.Run("subscribe", func(t *testing.T) {
				const uri = "probe://static.txt"
				if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
					t.Fatal(err)
				}
				// In 2026-07-28 Subscribe returns before the
				// subscriptions/listen stream it opens in the background is
				// in place, so touch until the update arrives.
				deadline := time.Now().Add(10 * time.Second)
				for {
					if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "touch", Arguments: map[string]any{"uri": "probe://items/1"}}); err != nil {
						t.Fatal(err)
					}
					if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "touch", Arguments: map[string]any{"uri": uri}}); err != nil {
						t.Fatal(err)
					}
					time.Sleep(50 * time.Millisecond)
					mu.Lock()
					got := slices.Clone(updated)
					mu.Unlock()
					if len(got) > 0 {
						if slices.ContainsFunc(got, func(u string) bool { return u != uri }) {
							t.Errorf("got updates for %v, want %s alone", got, uri)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("no notifications/resources/updated for %s", uri)
					}
				}
				if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri}); err != nil {
					t.Fatal(err)
				}
			})

			// After a cancelled call the SDK sends notifications/cancelled,
			// in 2026-07-28 too, and takes an error status for a broken
			// connection: the session must go on working.
			t.Run("cancel", func(t *testing.T) {
				cancelSlowCall(t, ctx, cs, marks, "go-cancel-"+version)
				// Let the SDK's notifications/cancelled go out first.
				time.Sleep(200 * time.Millisecond)
				if _, err := cs.ListPrompts(ctx, nil); err != nil {
					t.Errorf("prompts/list after the cancellation: %v", err)
				}
				if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"seconds": 0}}); err != nil || res.IsError {
					t.Errorf("a call after the cancellation: %v %+v", err, res)
				}
			})

			t.Run("elicitation", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask", Arguments: map[string]any{"greeting": "Hi"}})
				if err != nil {
					t.Fatal(err)
				}
				if res.IsError {
					t.Fatalf("got isError: %v", res.Content)
				}
				sc, _ := res.StructuredContent.(map[string]any)
				if sc["text"] != "Hi, Grace! You like amber." || sc["first"] == "" || sc["first"] == nil {
					t.Errorf("got structuredContent %v, want the greeting and the first round's id", res.StructuredContent)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(asked, []string{"What is your name?", "What is your favourite colour?"}) {
					t.Errorf("the ElicitationHandler was asked %q", asked)
				}
			})
		})
	}
}
