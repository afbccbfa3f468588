package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

func start(t *testing.T) *sdktest.Client {
	t.Helper()
	return sdktest.Start(t, plugin(&watched{}), nil)
}

// call calls a tool without arguments and fails the test on a contract error.
func call(t *testing.T, c *sdktest.Client, name string) (*toolgatev1.CallToolResult, []*toolgatev1.CallToolEvent) {
	t.Helper()
	res, events, err := c.Call(t.Context(), name, nil)
	if err != nil {
		t.Fatalf("calling %s: %v", name, err)
	}
	return res, events
}

func TestContent(t *testing.T) {
	c := start(t)
	tests := []struct {
		tool string
		want []string // the kinds of the content blocks, in order
	}{
		{"test_simple_text", []string{"text"}},
		{"test_image_content", []string{"image"}},
		{"test_audio_content", []string{"audio"}},
		{"test_embedded_resource", []string{"resource"}},
		{"test_multiple_content_types", []string{"text", "image", "resource"}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res, events := call(t, c, tt.tool)
			if res.GetIsError() || len(events) != 0 {
				t.Fatalf("got isError %v and %d events, want a plain result", res.GetIsError(), len(events))
			}
			var kinds []string
			for _, b := range res.GetContent() {
				switch k := b.GetKind().(type) {
				case *toolgatev1.Content_Text:
					kinds = append(kinds, "text")
				case *toolgatev1.Content_Image:
					kinds = append(kinds, "image")
					if k.Image.GetMimeType() != "image/png" || string(k.Image.GetData()[1:4]) != "PNG" {
						t.Errorf("image: got %s with %d bytes, want a PNG", k.Image.GetMimeType(), len(k.Image.GetData()))
					}
				case *toolgatev1.Content_Audio:
					kinds = append(kinds, "audio")
					if k.Audio.GetMimeType() != "audio/wav" || string(k.Audio.GetData()[:4]) != "RIFF" {
						t.Errorf("audio: got %s with %d bytes, want a WAV file", k.Audio.GetMimeType(), len(k.Audio.GetData()))
					}
				case *toolgatev1.Content_Resource:
					kinds = append(kinds, "resource")
					if r := k.Resource; r.GetUri() == "" || r.GetMimeType() == "" || r.GetText() == "" {
						t.Errorf("resource: got %v, want a uri, a MIME type and text", r)
					}
				default:
					kinds = append(kinds, "other")
				}
			}
			if !slices.Equal(kinds, tt.want) {
				t.Errorf("got blocks %v, want %v", kinds, tt.want)
			}
		})
	}
	if got := sdktest.Text(mustCall(t, c, "test_simple_text")); got != "This is a simple text response for testing." {
		t.Errorf("test_simple_text: got %q", got)
	}
}

func mustCall(t *testing.T, c *sdktest.Client, name string) *toolgatev1.CallToolResult {
	t.Helper()
	res, _ := call(t, c, name)
	return res
}

func TestEvents(t *testing.T) {
	c := start(t)

	_, events := call(t, c, "test_tool_with_logging")
	var logs []string
	for _, ev := range events {
		l := ev.GetLog()
		if l == nil || l.GetLevel() != "info" {
			t.Fatalf("got event %v, want info log messages only", ev)
		}
		var msg string
		if err := json.Unmarshal(l.GetData(), &msg); err != nil {
			t.Fatalf("log data %s: %v", l.GetData(), err)
		}
		logs = append(logs, msg)
	}
	if want := []string{"Tool execution started", "Tool processing data", "Tool execution completed"}; !slices.Equal(logs, want) {
		t.Errorf("test_tool_with_logging: got log messages %q, want %q", logs, want)
	}

	_, events = call(t, c, "test_tool_with_progress")
	var progress []float64
	for _, ev := range events {
		p := ev.GetProgress()
		if p == nil || p.GetTotal() != 100 {
			t.Fatalf("got event %v, want progress of a total of 100 only", ev)
		}
		progress = append(progress, p.GetProgress())
	}
	if want := []float64{0, 50, 100}; !slices.Equal(progress, want) {
		t.Errorf("test_tool_with_progress: got progress %v, want %v", progress, want)
	}

	if _, events = call(t, c, "test_logging_tool"); len(events) != 1 || events[0].GetLog() == nil {
		t.Errorf("test_logging_tool: got events %v, want one log message", events)
	}
	if res, _ := call(t, c, "test_reconnection"); res.GetIsError() || sdktest.Text(res) == "" {
		t.Errorf("test_reconnection: got %v, want a text result", res)
	}
}

func TestErrorHandling(t *testing.T) {
	res := mustCall(t, start(t), "test_error_handling")
	if !res.GetIsError() || sdktest.Text(res) != "This tool intentionally returns an error for testing" {
		t.Errorf("got isError %v, text %q; want the fixed error as a result", res.GetIsError(), sdktest.Text(res))
	}
}

// The 2020-12 schema is published exactly as written: nothing added,
// nothing dropped.
func TestSchemaPublishedUnchanged(t *testing.T) {
	c := start(t)
	tool := c.Tool("json_schema_2020_12_tool")
	if tool == nil {
		t.Fatal("json_schema_2020_12_tool is not listed")
	}
	var got, want any
	if err := json.Unmarshal(tool.GetInputSchema(), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(contactSchema, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got input schema %s, want %s", tool.GetInputSchema(), contactSchema)
	}
	args := `{"name":"Ada","address":{"city":"London"},"email":"ada@example.com"}`
	res, _, err := c.Call(t.Context(), "json_schema_2020_12_tool", json.RawMessage(args))
	if err != nil || res.GetIsError() || sdktest.Text(res) != "Received arguments: "+args {
		t.Errorf("got %v, %v; want the arguments echoed", res, err)
	}
}

// Every tool has a description, which the conformance suite requires.
func TestDescriptions(t *testing.T) {
	for _, tool := range start(t).Tools() {
		if tool.GetDescription() == "" {
			t.Errorf("%s has no description", tool.GetName())
		}
	}
}
