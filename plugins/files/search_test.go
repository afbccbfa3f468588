package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestSearchFiles(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"any depth", map[string]any{"pattern": "**/*.txt"}, []string{"big.txt", "docs/deep/a/b/notes.txt", "exact.txt", "top.txt"}},
		{"top level only", map[string]any{"pattern": "*.txt"}, []string{"big.txt", "exact.txt", "top.txt"}},
		{"below a directory", map[string]any{"pattern": "docs/**/*.go"}, []string{"docs/deep/x.go"}},
		{"from a start directory", map[string]any{"pattern": "**/*.go", "path": "docs"}, []string{"docs/deep/x.go"}},
		{"directories too", map[string]any{"pattern": "docs/deep/*"}, []string{"docs/deep/a", "docs/deep/x.go"}},
		{"alternatives", map[string]any{"pattern": "**/*.{md,png}"}, []string{"abs-inside.md", "alias.md", "docs/readme.md", "img/fake.png", "img/pixel.png"}},
		{"no match", map[string]any{"pattern": "**/*.rs"}, []string{}},
		{"through a link inside the root", map[string]any{"pattern": "*.md", "path": "docs-link"}, []string{"docs-link/readme.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := structured[searchOutput](t, fx.call(t, c, "search_files", tt.args))
			if !reflect.DeepEqual(out.Matches, tt.want) || out.Truncated {
				t.Errorf("got %q, truncated %v; want %q, false", out.Matches, out.Truncated, tt.want)
			}
		})
	}
}

func TestSearchFilesDoesNotFollowLinks(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	out := structured[searchOutput](t, fx.call(t, c, "search_files", map[string]any{"pattern": "**"}))
	for _, m := range out.Matches {
		for _, link := range []string{"link-etc/", "link-out/", "link-out-relative/", "docs-link/"} {
			if strings.HasPrefix(m, link) {
				t.Errorf("got match %q, want no match below the symbolic link %s", m, link)
			}
		}
	}
	if len(out.Matches) == 0 {
		t.Errorf("got no matches for **, want the whole tree")
	}
}

func TestSearchFilesRefuses(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"start outside", map[string]any{"pattern": "*", "path": ".."}, "search_files: ..: leads outside the root"},
		{"start absolute", map[string]any{"pattern": "*", "path": "/etc"}, "search_files: /etc: is absolute"},
		{"start through a link escaping", map[string]any{"pattern": "*", "path": "link-out"}, "search_files: link-out: leads outside the root"},
		{"start at a file", map[string]any{"pattern": "*", "path": "top.txt"}, "search_files: top.txt: is not a directory"},
		{"start missing", map[string]any{"pattern": "*", "path": "nope"}, "search_files: nope: no such file or directory"},
		{"bad pattern", map[string]any{"pattern": "[a"}, `search_files: pattern "[a" is not a valid glob`},
		{"empty pattern", map[string]any{"pattern": ""}, "search_files: pattern is empty"},
		{"missing pattern", map[string]any{}, "search_files: pattern is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, fx.call(t, c, "search_files", tt.args), tt.want)
		})
	}
}

func TestSearchFilesTruncates(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, map[string]any{"max_results": 2})
	out := structured[searchOutput](t, fx.call(t, c, "search_files", map[string]any{"pattern": "**/*.txt"}))
	if want := []string{"big.txt", "docs/deep/a/b/notes.txt"}; !reflect.DeepEqual(out.Matches, want) || !out.Truncated {
		t.Errorf("got %q, truncated %v; want %q, true", out.Matches, out.Truncated, want)
	}
	// Exactly max_results matches is not a truncation.
	out = structured[searchOutput](t, fx.call(t, c, "search_files", map[string]any{"pattern": "img/*"}))
	if len(out.Matches) != 2 || out.Truncated {
		t.Errorf("got %q, truncated %v; want 2 matches, false", out.Matches, out.Truncated)
	}
}
