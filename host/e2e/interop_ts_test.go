//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// probeScopes are what the probe's prompt and static resource ask for; its
// tools and its template need none.
const probeScopes = "prompts:probe resources:probe"

// tsStep is one step of interop.mjs: its result, or the error the SDK
// raised.
type tsStep[T any] struct {
	Result *T       `json:"result"`
	Error  *tsError `json:"error"`
}

// get returns the step's result, or fails the test with its error.
func (s tsStep[T]) get(t *testing.T) *T {
	t.Helper()
	if s.Error != nil || s.Result == nil {
		t.Fatalf("the SDK raised %+v", s.Error)
	}
	return s.Result
}

// textContents are a resource's contents as a client reads them.
type textContents []struct {
	URI      string `json:"uri"`
	MIMEType string `json:"mimeType"`
	Text     string `json:"text"`
}

// TestInteropTSClient has the official TypeScript SDK client use, over one
// session with authorization on, everything Toolgate serves beyond tools:
// progress and logs of a call, cancelling a call, resources and templates,
// prompts, completion, a resource subscription and elicitation.
func TestInteropTSClient(t *testing.T) {
	checkNode(t)
	marks := t.TempDir()
	h := startHost(t, authHostConfig(probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	tok := mintToken(t, h, "ada", probeScopes)
	var out struct {
		Requests        []tsRequest `json:"requests"`
		ProtocolVersion string      `json:"protocolVersion"`
		HadSession      bool        `json:"hadSession"`
		Steps           struct {
			Progress tsStep[struct {
				Progress []struct {
					Progress float64 `json:"progress"`
					Total    float64 `json:"total"`
					Message  string  `json:"message"`
				} `json:"progress"`
				Logs    []logNote `json:"logs"`
				IsError bool      `json:"isError"`
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			}] `json:"progress and logs"`
			Cancel tsStep[struct {
				Started   bool     `json:"started"`
				CallError *tsError `json:"callError"`
			}] `json:"cancel"`
			Resources tsStep[struct {
				Resources []string     `json:"resources"`
				Templates []string     `json:"templates"`
				Text      textContents `json:"text"`
				Item      textContents `json:"item"`
				Missing   *tsError     `json:"missing"`
			}] `json:"resources"`
			Prompts tsStep[struct {
				Prompts []struct {
					Name      string `json:"name"`
					Arguments []struct {
						Name     string `json:"name"`
						Required bool   `json:"required"`
					} `json:"arguments"`
				} `json:"prompts"`
				Got struct {
					Description string `json:"description"`
					Messages    []struct {
						Role    string `json:"role"`
						Content struct {
							Type string `json:"type"`
							Text string `json:"text"`
						} `json:"content"`
					} `json:"messages"`
				} `json:"got"`
			}] `json:"prompts"`
			Complete tsStep[struct {
				Tone []string `json:"tone"`
				ID   []string `json:"id"`
			}] `json:"complete"`
			Subscribe tsStep[struct {
				Updated []string `json:"updated"`
			}] `json:"subscribe"`
			Elicitation tsStep[struct {
				Elicitations      []string `json:"elicitations"`
				IsError           bool     `json:"isError"`
				StructuredContent struct {
					Text  string `json:"text"`
					First string `json:"first"`
				} `json:"structuredContent"`
			}] `json:"elicitation"`
		} `json:"steps"`
	}
	runNode(t, &out, "interop.mjs", h.url, tok, marks)
	if out.ProtocolVersion != sessionVersion || !out.HadSession {
		t.Errorf("got protocol version %q, session %v; want %s in a session", out.ProtocolVersion, out.HadSession, sessionVersion)
	}
	for _, r := range out.Requests {
		if !r.Authorization {
			t.Errorf("%s %s went without the token", r.Method, r.URL)
		}
		if r.Status >= 400 && !(r.Method == "GET" && r.Status == 405) {
			t.Errorf("%s %s: status %d", r.Method, r.URL, r.Status)
		}
	}
	steps := &out.Steps

	t.Run("progress and logs", func(t *testing.T) {
		s := steps.Progress.get(t)
		if s.IsError || len(s.Content) != 1 || s.Content[0].Text != "streamed" {
			t.Errorf("got isError %v, content %+v; want streamed", s.IsError, s.Content)
		}
		if len(s.Progress) != 3 {
			t.Fatalf("onprogress got %+v, want 3 notifications", s.Progress)
		}
		for i, p := range s.Progress {
			if p.Progress != float64(i+1) || p.Total != 3 || p.Message != fmt.Sprintf("step %d", i+1) {
				t.Errorf("progress %d: got %+v, want %d/3", i, p, i+1)
			}
		}
		wantLevels(t, s.Logs, 3, "alert", "emergency")
	})

	t.Run("cancel", func(t *testing.T) {
		s := steps.Cancel.get(t)
		if !s.Started {
			t.Fatalf("slow never started")
		}
		if s.CallError == nil {
			t.Errorf("the aborted call did not fail")
		}
		if got := waitFile(t, filepath.Join(marks, "ts-cancel"), 10*time.Second); !strings.Contains(got, "canceled") {
			t.Errorf("got marker %q, want the plugin's context cancelled", got)
		}
	})

	t.Run("resources", func(t *testing.T) {
		s := steps.Resources.get(t)
		if !slices.Equal(s.Resources, []string{"probe://static.txt"}) || !slices.Equal(s.Templates, []string{"probe://items/{id}"}) {
			t.Errorf("got resources %v, templates %v; want the probe's", s.Resources, s.Templates)
		}
		if len(s.Text) != 1 || s.Text[0].URI != "probe://static.txt" || s.Text[0].Text != "static text" || s.Text[0].MIMEType != "text/plain" {
			t.Errorf("read probe://static.txt: got %+v", s.Text)
		}
		if len(s.Item) != 1 || s.Item[0].URI != "probe://items/42" || s.Item[0].Text != `{"id":"42"}` || s.Item[0].MIMEType != "application/json" {
			t.Errorf("read probe://items/42: got %+v", s.Item)
		}
		if s.Missing == nil {
			t.Errorf("read probe://items/missing succeeded")
		} else if code, _ := s.Missing.Code.(float64); code != -32002 {
			t.Errorf("read probe://items/missing: got error %+v, want -32002 (resource not found)", s.Missing)
		}
	})

	t.Run("prompts", func(t *testing.T) {
		s := steps.Prompts.get(t)
		if len(s.Prompts) != 1 || s.Prompts[0].Name != "probe_prompt" || len(s.Prompts[0].Arguments) != 2 ||
			!s.Prompts[0].Arguments[0].Required || s.Prompts[0].Arguments[1].Required {
			t.Errorf("got prompts %+v, want probe_prompt with text (required) and tone", s.Prompts)
		}
		g := s.Got
		if g.Description != "The probe's prompt" || len(g.Messages) != 1 || g.Messages[0].Role != "user" ||
			g.Messages[0].Content.Type != "text" || g.Messages[0].Content.Text != "hello calm" {
			t.Errorf("got prompt %+v, want one user message \"hello calm\"", g)
		}
	})

	t.Run("complete", func(t *testing.T) {
		s := steps.Complete.get(t)
		if !slices.Equal(s.Tone, []string{"calm", "cheerful"}) || !slices.Equal(s.ID, []string{"12", "123"}) {
			t.Errorf("got tone %v, id %v; want [calm cheerful], [12 123]", s.Tone, s.ID)
		}
	})

	t.Run("subscribe", func(t *testing.T) {
		s := steps.Subscribe.get(t)
		if !slices.Equal(s.Updated, []string{"probe://static.txt"}) {
			t.Errorf("got updates for %v, want probe://static.txt alone", s.Updated)
		}
	})

	t.Run("elicitation", func(t *testing.T) {
		s := steps.Elicitation.get(t)
		if !slices.Equal(s.Elicitations, []string{"What is your name?", "What is your favourite colour?"}) {
			t.Errorf("the elicitation handler was asked %q", s.Elicitations)
		}
		if s.IsError || s.StructuredContent.Text != "Hello, Ada! You like teal." || s.StructuredContent.First == "" {
			t.Errorf("got isError %v, %+v; want the greeting and the first round's id", s.IsError, s.StructuredContent)
		}
	})
}
