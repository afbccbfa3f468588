//go:build unix

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/config"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// probeBin is the end-to-end tests' probe plugin, built once by TestMain:
// a real subprocess serving prompts, resources and updates. oldBin speaks
// the contract as it was before them.
var probeBin, oldBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	probeBin, oldBin = filepath.Join(dir, "probe"), filepath.Join(dir, "oldplugin")
	for out, pkg := range map[string]string{probeBin: "../e2e/testdata/probe", oldBin: "./testdata/oldplugin"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func superviseProbe(t *testing.T) *Supervised { return supervise(t, "probe", probeBin, nil) }

// supervise starts a plugin; onUpdate receives its resource updates.
func supervise(t *testing.T, name, path string, onUpdate func(string)) *Supervised {
	t.Helper()
	spec := config.Plugin{Name: name, Path: path, StartTimeout: 30 * time.Second,
		MaxConcurrent: 8, MaxQueue: 8, MaxResultBytes: 1 << 20}
	s, err := Supervise(t.Context(), spec, Options{Dir: t.TempDir(), HostVersion: "test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnResourceUpdated: onUpdate})
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestProbeOffersPromptsAndResources(t *testing.T) {
	s := superviseProbe(t)
	if len(s.Prompts) != 1 || s.Prompts[0].GetName() != "probe_prompt" || len(s.Prompts[0].GetArguments()) != 2 {
		t.Errorf("got prompts %v", s.Prompts)
	}
	if len(s.Resources) != 1 || s.Resources[0].GetUri() != "probe://static.txt" {
		t.Errorf("got resources %v", s.Resources)
	}
	if len(s.ResourceTemplates) != 1 || s.ResourceTemplates[0].GetUriTemplate() != "probe://items/{id}" {
		t.Errorf("got templates %v", s.ResourceTemplates)
	}
}

func TestSupervisedRequests(t *testing.T) {
	s := superviseProbe(t)
	ctx := t.Context()

	pr, err := s.GetPrompt(ctx, &toolgatev1.GetPromptRequest{Name: "probe_prompt", Arguments: map[string]string{"text": "hi", "tone": "calm"}})
	if err != nil || pr.GetMessages()[0].GetContent().GetText().GetText() != "hi calm" {
		t.Errorf("getting the prompt: got %v, %v", pr, err)
	}
	var ref *Refusal
	_, err = s.GetPrompt(ctx, &toolgatev1.GetPromptRequest{Name: "probe_prompt", Arguments: map[string]string{"text": "bad"}})
	if !errors.As(err, &ref) || ref.NotFound || !strings.Contains(ref.Message, `must not be "bad"`) {
		t.Errorf("getting the prompt with bad text: got %v, want a refusal for the arguments", err)
	}

	rr, err := s.ReadResource(ctx, &toolgatev1.ReadResourceRequest{Uri: "probe://items/7", UriTemplate: "probe://items/{id}", Variables: map[string]string{"id": "7"}})
	if err != nil || rr.GetContents()[0].GetText() != `{"id":"7"}` {
		t.Errorf("reading an item: got %v, %v", rr, err)
	}
	_, err = s.ReadResource(ctx, &toolgatev1.ReadResourceRequest{Uri: "probe://items/missing", UriTemplate: "probe://items/{id}", Variables: map[string]string{"id": "missing"}})
	if !errors.As(err, &ref) || !ref.NotFound {
		t.Errorf("reading a missing item: got %v, want a not-found refusal", err)
	}

	cr, err := s.Complete(ctx, &toolgatev1.CompleteRequest{Ref: &toolgatev1.CompleteRequest_UriTemplate{UriTemplate: "probe://items/{id}"}, Argument: "id", Value: "12"})
	if err != nil || strings.Join(cr.GetValues(), ",") != "12,123" {
		t.Errorf("completing an id: got %v, %v", cr, err)
	}
}

// touch has the probe report uri as updated.
func touch(t *testing.T, s *Supervised, uri string) {
	t.Helper()
	res, err := s.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "touch", Arguments: []byte(`{"uri":"` + uri + `"}`)}, nil)
	if err != nil || res.GetIsError() {
		t.Fatalf("touching %s: %v %v", uri, res, err)
	}
}

func TestResourceUpdatesReachCallbackAcrossRestart(t *testing.T) {
	updates := make(chan string, 16)
	s := supervise(t, "probe", probeBin, func(uri string) { updates <- uri })

	// The stream opens in the background; touch until the first update
	// arrives. A URI the probe does not offer is never handed on.
	expect := func(uri string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			touch(t, s, "other://not-the-probes")
			touch(t, s, uri)
			select {
			case got := <-updates:
				if got != uri {
					t.Fatalf("got update %q, want %q", got, uri)
				}
				return
			case <-time.After(200 * time.Millisecond):
			case <-deadline:
				t.Fatalf("no update of %s within 20s", uri)
			}
		}
	}
	expect("probe://static.txt")
	expect("probe://items/42")

	first := s.cur.Load()
	_, _ = s.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "exit", Arguments: []byte(`{}`)}, nil)
	<-first.Exited()
	deadline := time.Now().Add(20 * time.Second)
	for p := s.cur.Load(); p == nil || p == first; p = s.cur.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the probe was not restarted within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for len(updates) > 0 {
		<-updates
	}
	expect("probe://static.txt")
}

func TestCompleteOfArgumentWithoutValues(t *testing.T) {
	s := superviseProbe(t)
	// The prompt completes tone but not text: no values, no error.
	cr, err := s.Complete(context.Background(), &toolgatev1.CompleteRequest{Ref: &toolgatev1.CompleteRequest_Prompt{Prompt: "probe_prompt"}, Argument: "text", Value: "x"})
	if err != nil || len(cr.GetValues()) != 0 {
		t.Errorf("got %v, %v; want no values", cr, err)
	}
}

// TestPluginOfOldContract checks that a plugin built before prompts and
// resources existed starts, serves its tools, offers none of the new kinds
// and completes nothing.
func TestPluginOfOldContract(t *testing.T) {
	s := supervise(t, "old", oldBin, nil)
	if len(s.Tools) != 1 || len(s.Prompts)+len(s.Resources)+len(s.ResourceTemplates) != 0 {
		t.Fatalf("got tools %v, prompts %v, resources %v, templates %v; want one tool and nothing else",
			s.Tools, s.Prompts, s.Resources, s.ResourceTemplates)
	}
	res, err := s.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "old", Arguments: []byte(`{}`)}, nil)
	if err != nil || res.GetContent()[0].GetText().GetText() != "old" {
		t.Errorf("calling its tool: got %v, %v", res, err)
	}
	cr, err := s.Complete(t.Context(), &toolgatev1.CompleteRequest{Ref: &toolgatev1.CompleteRequest_Prompt{Prompt: "x"}, Argument: "a"})
	if err != nil || len(cr.GetValues()) != 0 {
		t.Errorf("completing: got %v, %v; want no values and no error", cr, err)
	}
}
