//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The bytes the probe's content tool returns (testdata/probe/main.go).
var (
	probePNG  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2, 0xff}
	probeWAV  = []byte{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'}
	probeBlob = []byte{0, 1, 2, 3, 0xfe, 0xff}
)

// probeTools are the probe plugin's tools in name order.
var probeTools = []string{"alloc", "ask", "bad_output", "caller", "content", "env", "exit", "fail", "header", "panic", "print", "sample", "slow", "stream", "touch"}

// probePlugin is the config entry of the probe plugin; env is the body of
// its [plugins.env] table.
func probePlugin(env string) string {
	return `
[[plugins]]
name = "probe"
path = "@BIN@/probe"

[plugins.env]
` + env + "\n"
}

// connect connects the official SDK client; version "" leaves the choice to
// the SDK.
func connect(t *testing.T, h *hostProc, version string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, nil)
	var opts *mcp.ClientSessionOptions
	if version != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: version}
	}
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url, MaxRetries: -1}, opts)
	if err != nil {
		t.Fatalf("connecting with protocol version %q: %v", version, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func TestSDKClient(t *testing.T) {
	root := t.TempDir()
	const fileText = "hello from the files root\n"
	if err := os.WriteFile(filepath.Join(root, "hello.txt"), []byte(fileText), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHost(t, hostConfig("", shippedPlugins(root)+probePlugin(`PROBE_GREETING = "hi"`)))
	allTools := slices.Sorted(slices.Values(slices.Concat(shippedTools, probeTools)))

	eras := []struct {
		name, ask, want string
		session         bool // the SDK ends up with an Mcp-Session-Id
	}{
		{"default", "", modernVersion, false},
		{"session era", sessionVersion, sessionVersion, true},
		{"2025-06-18", "2025-06-18", "2025-06-18", true},
		{"stateless", modernVersion, modernVersion, false},
	}
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			cs := connect(t, h, era.ask)
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			init := cs.InitializeResult()
			if init.ProtocolVersion != era.want {
				t.Fatalf("got protocol version %q, want %q", init.ProtocolVersion, era.want)
			}
			if init.ServerInfo == nil || init.ServerInfo.Name != "toolgate" {
				t.Errorf("got serverInfo %+v, want name toolgate", init.ServerInfo)
			}
			if init.Capabilities == nil || init.Capabilities.Tools == nil {
				t.Errorf("got capabilities %+v, want tools", init.Capabilities)
			}
			if got := cs.ID() != ""; got != era.session {
				t.Errorf("got session id %q, want one: %v", cs.ID(), era.session)
			}

			t.Run("ListTools", func(t *testing.T) {
				res, err := cs.ListTools(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, tool := range res.Tools {
					names = append(names, tool.Name)
				}
				if !slices.Equal(names, allTools) {
					t.Errorf("got tools %v, want %v", names, allTools)
				}
			})

			t.Run("CallTool echo", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "sdk", "repeat_count": 3}})
				if err != nil {
					t.Fatal(err)
				}
				if res.IsError {
					t.Fatalf("got isError: %v", res.Content)
				}
				got, _ := json.Marshal(res.StructuredContent)
				if want := `{"repeat_count":3,"text":"sdk sdk sdk"}`; string(got) != want {
					t.Errorf("got structuredContent %s, want %s", got, want)
				}
				if len(res.Content) != 1 {
					t.Fatalf("got %d content blocks, want 1", len(res.Content))
				}
				if tc, ok := res.Content[0].(*mcp.TextContent); !ok || !strings.Contains(tc.Text, `"sdk sdk sdk"`) {
					t.Errorf("got content %#v, want a text block mirroring the structured content", res.Content[0])
				}
			})

			t.Run("CallTool bad arguments", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "x", "repeat_count": 11}})
				if err != nil {
					t.Fatalf("got error %v, want an isError result", err)
				}
				if !res.IsError {
					t.Fatalf("got success, want isError")
				}
				if tc, ok := res.Content[0].(*mcp.TextContent); !ok || !strings.Contains(tc.Text, "repeat_count") {
					t.Errorf("got content %#v, want text naming repeat_count", res.Content[0])
				}
			})

			t.Run("CallTool unknown tool", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "no_such_tool", Arguments: map[string]any{}})
				if err == nil {
					t.Fatalf("got result %+v, want an error", res)
				}
				if !strings.Contains(err.Error(), "no_such_tool") {
					t.Errorf("got error %v, want it to name the tool", err)
				}
			})

			t.Run("read_file", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "read_file", Arguments: map[string]any{"path": "hello.txt"}})
				if err != nil {
					t.Fatal(err)
				}
				if res.IsError || len(res.Content) != 1 {
					t.Fatalf("got isError %v with %d blocks, want one block", res.IsError, len(res.Content))
				}
				if tc, ok := res.Content[0].(*mcp.TextContent); !ok || tc.Text != fileText {
					t.Errorf("got %#v, want text %q", res.Content[0], fileText)
				}
			})

			t.Run("content kinds", func(t *testing.T) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "content", Arguments: map[string]any{}})
				if err != nil {
					t.Fatal(err)
				}
				checkProbeContent(t, res)
			})
		})
	}
}

// checkProbeContent checks the probe's content tool result decoded into the
// SDK's content types.
func checkProbeContent(t *testing.T, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("got isError: %v", res.Content)
	}
	if len(res.Content) != 6 {
		t.Fatalf("got %d content blocks, want 6", len(res.Content))
	}
	if got := res.Meta["probe/result"]; got != "content" {
		t.Errorf("got result _meta %v, want probe/result = content", res.Meta)
	}

	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("block 0: got %T, want *mcp.TextContent", res.Content[0])
	}
	if text.Text != "hello text" {
		t.Errorf("block 0: got text %q, want %q", text.Text, "hello text")
	}
	if a := text.Annotations; a == nil || a.Priority != 0.5 || a.LastModified != "2025-01-02T03:04:05Z" ||
		!slices.Equal(a.Audience, []mcp.Role{"user", "assistant"}) {
		t.Errorf("block 0: got annotations %+v, want audience [user assistant], priority 0.5 and lastModified", a)
	}
	if got := text.Meta["probe/kind"]; got != "text" {
		t.Errorf("block 0: got _meta %v, want probe/kind = text", text.Meta)
	}

	img, ok := res.Content[1].(*mcp.ImageContent)
	if !ok {
		t.Fatalf("block 1: got %T, want *mcp.ImageContent", res.Content[1])
	}
	if !bytes.Equal(img.Data, probePNG) || img.MIMEType != "image/png" {
		t.Errorf("block 1: got %q %x, want image/png %x", img.MIMEType, img.Data, probePNG)
	}
	if got := img.Meta["probe/kind"]; got != "image" {
		t.Errorf("block 1: got _meta %v, want probe/kind = image", img.Meta)
	}

	audio, ok := res.Content[2].(*mcp.AudioContent)
	if !ok {
		t.Fatalf("block 2: got %T, want *mcp.AudioContent", res.Content[2])
	}
	if !bytes.Equal(audio.Data, probeWAV) || audio.MIMEType != "audio/wav" {
		t.Errorf("block 2: got %q %x, want audio/wav %x", audio.MIMEType, audio.Data, probeWAV)
	}

	link, ok := res.Content[3].(*mcp.ResourceLink)
	if !ok {
		t.Fatalf("block 3: got %T, want *mcp.ResourceLink", res.Content[3])
	}
	if link.URI != "file:///probe/link.txt" || link.Name != "link.txt" || link.Title != "Link" ||
		link.Description != "a link" || link.MIMEType != "text/plain" || link.Size == nil || *link.Size != 42 {
		t.Errorf("block 3: got %+v, want the probe's link", link)
	}

	embText, ok := res.Content[4].(*mcp.EmbeddedResource)
	if !ok || embText.Resource == nil {
		t.Fatalf("block 4: got %#v, want *mcp.EmbeddedResource", res.Content[4])
	}
	if r := embText.Resource; r.URI != "file:///probe/embedded.txt" || r.MIMEType != "text/plain" || r.Text != "embedded text" || r.Blob != nil {
		t.Errorf("block 4: got %+v, want the text resource", r)
	}
	if got := embText.Resource.Meta["probe/resource"]; got != "text" {
		t.Errorf("block 4: got resource _meta %v, want probe/resource = text", embText.Resource.Meta)
	}

	embBlob, ok := res.Content[5].(*mcp.EmbeddedResource)
	if !ok || embBlob.Resource == nil {
		t.Fatalf("block 5: got %#v, want *mcp.EmbeddedResource", res.Content[5])
	}
	if r := embBlob.Resource; r.URI != "file:///probe/embedded.bin" || r.MIMEType != "application/octet-stream" ||
		!bytes.Equal(r.Blob, probeBlob) || r.Text != "" {
		t.Errorf("block 5: got %+v, want the blob resource %x", r, probeBlob)
	}
}
