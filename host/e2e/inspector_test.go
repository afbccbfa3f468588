//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inspectorDir holds the MCP Inspector's command line client, installed with
// the conformance runner in testdata/conformance. Its 1.x line is the one
// that runs on Node.js 20; it sends a bearer token with --header. It must
// run in this directory: it looks for its package.json as ../package.json
// relative to the working directory before importing it from there relative
// to itself.
var inspectorDir = filepath.Join(conformanceDir, "node_modules", "@modelcontextprotocol", "inspector-cli", "build")

// TestInspectorCLI lists and calls tools, reads resources and gets a prompt
// with the MCP Inspector CLI against a host with authorization on, the token
// sent as the CLI's own header.
func TestInspectorCLI(t *testing.T) {
	checkConformanceInstalled(t)
	h := startHost(t, authHostConfig(everythingPlugin+"\n[[plugins]]\nname = \"echo\"\npath = \"@BIN@/echo\"\n"+probePlugin("")))
	auth := "Authorization: Bearer " + mintToken(t, h, "inspector", "tools:echo "+everythingScope+" "+probeScopes)

	t.Run("tools/list", func(t *testing.T) {
		var out struct {
			Tools []struct {
				Name        string          `json:"name"`
				InputSchema json.RawMessage `json:"inputSchema"`
			} `json:"tools"`
		}
		runInspector(t, &out, h.url, "--method", "tools/list", "--header", auth)
		var names []string
		for _, tool := range out.Tools {
			names = append(names, tool.Name)
		}
		for _, want := range []string{"echo", "test_simple_text", "test_image_content", "json_schema_2020_12_tool"} {
			if !slices.Contains(names, want) {
				t.Errorf("got tools %v, want %s among them", names, want)
			}
		}
	})

	t.Run("tools/call echo", func(t *testing.T) {
		var out struct {
			IsError           bool `json:"isError"`
			StructuredContent struct {
				Text        string `json:"text"`
				RepeatCount int    `json:"repeat_count"`
			} `json:"structuredContent"`
		}
		runInspector(t, &out, h.url, "--method", "tools/call", "--tool-name", "echo",
			"--tool-arg", "message=hello", "repeat_count=2", "--header", auth)
		if out.IsError || out.StructuredContent.Text != "hello hello" || out.StructuredContent.RepeatCount != 2 {
			t.Errorf("got %+v, want hello hello repeated twice", out)
		}
	})

	t.Run("tools/call image content", func(t *testing.T) {
		var out struct {
			Content []struct {
				Type     string `json:"type"`
				Data     string `json:"data"`
				MIMEType string `json:"mimeType"`
			} `json:"content"`
		}
		runInspector(t, &out, h.url, "--method", "tools/call", "--tool-name", "test_image_content", "--header", auth)
		if len(out.Content) != 1 || out.Content[0].Type != "image" || out.Content[0].MIMEType != "image/png" || out.Content[0].Data == "" {
			t.Errorf("got content %+v, want one PNG image block", out.Content)
		}
	})

	t.Run("resources/read", func(t *testing.T) {
		for uri, want := range map[string]string{"probe://static.txt": "static text", "probe://items/5": `{"id":"5"}`} {
			var out struct {
				Contents textContents `json:"contents"`
			}
			runInspector(t, &out, h.url, "--method", "resources/read", "--uri", uri, "--header", auth)
			if len(out.Contents) != 1 || out.Contents[0].URI != uri || out.Contents[0].Text != want {
				t.Errorf("read %s: got %+v, want %q", uri, out.Contents, want)
			}
		}
	})

	t.Run("resources/templates/list", func(t *testing.T) {
		var out struct {
			ResourceTemplates []struct {
				URITemplate string `json:"uriTemplate"`
			} `json:"resourceTemplates"`
		}
		runInspector(t, &out, h.url, "--method", "resources/templates/list", "--header", auth)
		var templates []string
		for _, rt := range out.ResourceTemplates {
			templates = append(templates, rt.URITemplate)
		}
		if !slices.Contains(templates, "probe://items/{id}") {
			t.Errorf("got templates %v, want probe://items/{id} among them", templates)
		}
	})

	t.Run("prompts/get", func(t *testing.T) {
		var out struct {
			Messages []struct {
				Role    string `json:"role"`
				Content struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"messages"`
		}
		runInspector(t, &out, h.url, "--method", "prompts/get", "--prompt-name", "probe_prompt",
			"--prompt-args", "text=hello", "tone=cheerful", "--header", auth)
		if len(out.Messages) != 1 || out.Messages[0].Role != "user" || out.Messages[0].Content.Text != "hello cheerful" {
			t.Errorf("got messages %+v, want one user message \"hello cheerful\"", out.Messages)
		}
	})

	t.Run("without a token", func(t *testing.T) {
		code, stdout, stderr := inspector(t, h.url, "--method", "tools/list")
		if code == 0 {
			t.Fatalf("the CLI listed tools without a token:\n%s", stdout)
		}
		if !strings.Contains(stderr, "Unauthorized") {
			t.Errorf("got exit code %d and no Unauthorized in the output:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	t.Run("without the tool's scope", func(t *testing.T) {
		echoOnly := "Authorization: Bearer " + mintToken(t, h, "inspector", "tools:echo")
		code, stdout, stderr := inspector(t, h.url, "--method", "tools/call", "--tool-name", "test_simple_text", "--header", echoOnly)
		if code == 0 {
			t.Fatalf("the CLI called a tool without its scope:\n%s", stdout)
		}
		if !strings.Contains(stderr, everythingScope) {
			t.Errorf("got exit code %d and the missing scope %s not named:\nstdout:\n%s\nstderr:\n%s", code, everythingScope, stdout, stderr)
		}
	})
}

// runInspector runs the CLI, which must succeed, and decodes the JSON it
// prints into out.
func runInspector(t *testing.T, out any, args ...string) {
	t.Helper()
	code, stdout, stderr := inspector(t, args...)
	if code != 0 {
		t.Fatalf("inspector CLI %s: exit code %d\nstdout:\n%s\nstderr:\n%s", redacted(args), code, stdout, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("inspector CLI printed no JSON document: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
}

// inspector runs the MCP Inspector CLI with args and returns its exit code
// and output; it fails the test if the CLI runs longer than 60s.
func inspector(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"index.js"}, args...)...)
	cmd.Dir = inspectorDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("inspector CLI %s ran for more than 60s\nstderr:\n%s", redacted(args), errb.String())
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running the inspector CLI: %v", err)
	}
	return code, out.String(), errb.String()
}

// redacted joins the CLI's arguments for a message, without the token.
func redacted(args []string) string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, "Authorization:") {
			out[i] = "Authorization: Bearer [redacted]"
		}
	}
	return strings.Join(out, " ")
}
