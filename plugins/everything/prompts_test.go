package main

import (
	"strings"
	"testing"
)

func TestPrompts(t *testing.T) {
	c := start(t)
	tests := []struct {
		prompt string
		args   map[string]string
		want   []string // each message as its kind and, for text, its text
	}{
		{"test_simple_prompt", nil, []string{"text This is a simple prompt for testing."}},
		{"test_prompt_with_arguments", map[string]string{"arg1": "hello", "arg2": "world"},
			[]string{"text Prompt with arguments: arg1='hello', arg2='world'"}},
		{"test_prompt_with_embedded_resource", map[string]string{"resourceUri": "test://example-resource"},
			[]string{"resource test://example-resource", "text Please process the embedded resource above."}},
		{"test_prompt_with_image", nil, []string{"image image/png", "text Please analyze the image above."}},
	}
	for _, tt := range tests {
		t.Run(tt.prompt, func(t *testing.T) {
			res, err := c.GetPrompt(t.Context(), tt.prompt, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range res.GetMessages() {
				if m.GetRole() != "user" {
					t.Errorf("got role %q, want user", m.GetRole())
				}
				switch k := m.GetContent(); {
				case k.GetText() != nil:
					got = append(got, "text "+k.GetText().GetText())
				case k.GetResource() != nil:
					got = append(got, "resource "+k.GetResource().GetUri())
				case k.GetImage() != nil:
					got = append(got, "image "+k.GetImage().GetMimeType())
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got messages %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	res, err := start(t).CompletePrompt(t.Context(), "test_prompt_with_arguments", "arg1", "par", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.GetValues(), " "); got != "paris park party" {
		t.Errorf("got values %q, want paris park party", got)
	}
}

// Every prompt has a description and suggests the plugin's scope.
func TestPromptsDescribed(t *testing.T) {
	for _, p := range start(t).Prompts() {
		if p.GetDescription() == "" || strings.Join(p.GetSuggestedScopes(), " ") != scope {
			t.Errorf("%s: description %q, scopes %q", p.GetName(), p.GetDescription(), p.GetSuggestedScopes())
		}
	}
}
