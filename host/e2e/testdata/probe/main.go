//go:build unix

// Command probe is a plugin for the end-to-end tests: its tools show what a
// plugin sees (its environment, its caller, its context) and misbehave on
// purpose (panic, fail, print, break their output schema), so the tests can
// check how the host copes.
//
// It is built by the tests, never shipped.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/toolgate/toolgate/sdk"
)

func main() {
	probe = &sdk.Plugin{
		Tools: []sdk.Tool{
			envTool, slowTool, panicTool, failTool, printTool, contentTool, callerTool, badOutputTool, exitTool, touchTool,
			allocTool,
			askTool, sampleTool, streamTool, headerTool,
		},
		Prompts:           []sdk.Prompt{probePrompt},
		Resources:         []sdk.Resource{staticResource},
		ResourceTemplates: []sdk.ResourceTemplate{itemTemplate},
	}
	sdk.Serve(probe)
}

// markDirEnv names the directory where slow leaves its marker files.
const markDirEnv = "PROBE_MARK_DIR"

var emptyInput = json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)

var envTool = sdk.Tool{
	Name:        "env",
	Description: "Returns the plugin's environment as structured content.",
	InputSchema: emptyInput,
	Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return sdk.StructuredResult(map[string]any{"env": env})
	},
}

// slow waits for `seconds` or until its context is done. It writes
// "<mark>.started" when it begins and, if the context ends first,
// "<mark>" holding the context's error, both in $PROBE_MARK_DIR. mark
// defaults to the call's request id.
var slowTool = sdk.Tool{
	Name:        "slow",
	Description: "Waits until cancelled or until the given number of seconds passed.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{` +
		`"seconds":{"type":"number","minimum":0},"mark":{"type":"string","pattern":"^[A-Za-z0-9_-]+$"}},` +
		`"additionalProperties":false}`),
	Handler: func(ctx context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			Seconds float64 `json:"seconds"`
			Mark    string  `json:"mark"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		mark := in.Mark
		if mark == "" {
			mark = call.RequestID
		}
		dir := os.Getenv(markDirEnv)
		if dir != "" {
			if err := writeMarker(filepath.Join(dir, mark+".started"), call.RequestID); err != nil {
				return nil, fmt.Errorf("slow: writing the start marker: %w", err)
			}
		}
		timer := time.NewTimer(time.Duration(in.Seconds * float64(time.Second)))
		defer timer.Stop()
		select {
		case <-timer.C:
			return sdk.TextResult("slept"), nil
		case <-ctx.Done():
			if dir != "" {
				_ = writeMarker(filepath.Join(dir, mark), ctx.Err().Error())
			}
			return nil, ctx.Err()
		}
	},
}

// writeMarker writes a marker file whole: it never exists half written.
func writeMarker(path, content string) error {
	if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

var panicTool = sdk.Tool{
	Name:        "panic",
	Description: "Panics.",
	InputSchema: emptyInput,
	Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
		panic("probe panics on purpose")
	},
}

var failTool = sdk.Tool{
	Name:        "fail",
	Description: "Returns an error with the given message.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"message":{"type":"string"}},"additionalProperties":false}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			Message string `json:"message"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		return nil, errors.New("probe failure: " + in.Message)
	},
}

// print writes token to stdout and stderr in every way a plugin might: with
// fmt, and with raw writes to descriptors 1 and 2. With raw set, it writes
// only raw, as it is, to stderr.
var printTool = sdk.Tool{
	Name:        "print",
	Description: "Writes a token to stdout and stderr, then returns.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"token":{"type":"string"},"raw":{"type":"string"}},` +
		`"required":["token"],"additionalProperties":false}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			Token string `json:"token"`
			Raw   string `json:"raw"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		if in.Raw != "" {
			fmt.Fprint(os.Stderr, in.Raw)
			return sdk.TextResult("printed " + in.Token), nil
		}
		fmt.Println("fmt-stdout " + in.Token)
		fmt.Fprintln(os.Stderr, "fmt-stderr "+in.Token)
		_, _ = syscall.Write(1, []byte("raw-fd1 "+in.Token+"\n"))
		_, _ = syscall.Write(2, []byte("raw-fd2 "+in.Token+"\n"))
		return sdk.TextResult("printed " + in.Token), nil
	},
}

// Content the content tool returns; the tests compare against the same
// values.
var (
	pngBytes  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2, 0xff}
	wavBytes  = []byte{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'}
	blobBytes = []byte{0, 1, 2, 3, 0xfe, 0xff}
)

var contentTool = sdk.Tool{
	Name:        "content",
	Description: "Returns one content block of every kind.",
	InputSchema: emptyInput,
	Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
		priority := 0.5
		size := int64(42)
		ann := &sdk.ContentAnnotations{Audience: []string{"user", "assistant"}, Priority: &priority, LastModified: "2025-01-02T03:04:05Z"}
		return &sdk.Result{
			Content: []sdk.Content{
				&sdk.TextContent{Text: "hello text", Block: sdk.Block{Annotations: ann, Meta: map[string]any{"probe/kind": "text"}}},
				&sdk.ImageContent{Data: pngBytes, MIMEType: "image/png", Block: sdk.Block{Meta: map[string]any{"probe/kind": "image"}}},
				&sdk.AudioContent{Data: wavBytes, MIMEType: "audio/wav"},
				&sdk.ResourceLink{URI: "file:///probe/link.txt", Name: "link.txt", Title: "Link", Description: "a link",
					MIMEType: "text/plain", Size: &size},
				&sdk.EmbeddedResource{URI: "file:///probe/embedded.txt", MIMEType: "text/plain", Text: "embedded text",
					ResourceMeta: map[string]any{"probe/resource": "text"}},
				&sdk.EmbeddedResource{URI: "file:///probe/embedded.bin", MIMEType: "application/octet-stream", Blob: blobBytes},
			},
			Meta: map[string]any{"probe/result": "content"},
		}, nil
	},
}

var callerTool = sdk.Tool{
	Name:        "caller",
	Description: "Returns the caller and request id the plugin received.",
	InputSchema: emptyInput,
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		return sdk.StructuredResult(map[string]any{
			"request_id": call.RequestID,
			"caller": map[string]any{
				"subject": call.Caller.Subject, "client_id": call.Caller.ClientID, "issuer": call.Caller.Issuer,
				"scopes": call.Caller.Scopes, "claims": call.Caller.Claims,
			},
		})
	},
}

var badOutputTool = sdk.Tool{
	Name:         "bad_output",
	Description:  "Declares an output schema and returns structured content that breaks it.",
	InputSchema:  emptyInput,
	OutputSchema: json.RawMessage(`{"type":"object","properties":{"count":{"type":"integer"}},"required":["count"]}`),
	Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
		return sdk.StructuredResult(map[string]any{"count": "not a number"})
	},
}

// exit ends the plugin process in the middle of a call, as a crash would.
var exitTool = sdk.Tool{
	Name:        "exit",
	Description: "Exits the plugin process with status 3.",
	InputSchema: emptyInput,
	Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
		os.Exit(3)
		return nil, nil
	},
}

// alloc allocates the given number of MiB at once, as a plugin with a
// leak would, and holds it until the call ends. It does not touch the
// pages: the host's memory limit bounds address space, which untouched
// pages take up too, so a test of it costs the machine no RAM.
var allocTool = sdk.Tool{
	Name:        "alloc",
	Description: "Allocates the given number of MiB.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"mib":{"type":"integer","minimum":1}},"required":["mib"],"additionalProperties":false}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			MiB int `json:"mib"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		held := make([]byte, in.MiB<<20)
		return sdk.TextResult(fmt.Sprintf("allocated %d MiB", len(held)>>20)), nil
	},
}

// logLevels are the MCP log levels, least severe first.
var logLevels = []sdk.LogLevel{sdk.LevelDebug, sdk.LevelInfo, sdk.LevelNotice, sdk.LevelWarning,
	sdk.LevelError, sdk.LevelCritical, sdk.LevelAlert, sdk.LevelEmergency}

// stream reports progress 1..steps of steps, and before each step logs one
// message at every level (data {"step": n, "level": level}, logger
// "probe"), waiting delay_ms between steps. It returns "streamed".
var streamTool = sdk.Tool{
	Name:        "stream",
	Description: "Reports progress and logs at every level while it runs.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{` +
		`"steps":{"type":"integer","minimum":0,"maximum":100},"delay_ms":{"type":"integer","minimum":0,"maximum":10000}},` +
		`"additionalProperties":false}`),
	Handler: func(ctx context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			Steps   int `json:"steps"`
			DelayMS int `json:"delay_ms"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		for step := 1; step <= in.Steps; step++ {
			for _, l := range logLevels {
				if err := call.Log(l, "probe", map[string]any{"step": step, "level": l}); err != nil {
					return nil, err
				}
			}
			if err := call.Progress(float64(step), float64(in.Steps), fmt.Sprintf("step %d", step)); err != nil {
				return nil, err
			}
			select {
			case <-time.After(time.Duration(in.DelayMS) * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return sdk.TextResult("streamed"), nil
	},
}

// header declares parameters mirrored into Mcp-Param-* headers and echoes
// its arguments.
var headerTool = sdk.Tool{
	Name:        "header",
	Description: "Echoes its arguments; region, count and verbose travel in Mcp-Param headers too.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{` +
		`"region":{"type":"string","x-mcp-header":"Region"},` +
		`"count":{"type":"integer","x-mcp-header":"Count"},` +
		`"opts":{"type":"object","properties":{"verbose":{"type":"boolean","x-mcp-header":"Verbose"}}},` +
		`"query":{"type":"string"}},"additionalProperties":false}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		return sdk.TextResult(string(call.Arguments)), nil
	},
}
