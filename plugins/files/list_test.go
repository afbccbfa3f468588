package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestListDirectory(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	tests := []struct {
		name string
		args map[string]any
		path string
		want []entry
	}{
		{"default is the root", map[string]any{}, ".", []entry{
			{"abs-inside.md", "symlink", 0},
			{"alias.md", "symlink", 0},
			{"big.txt", "file", testLimit + 1},
			{"data", "dir", 0},
			{"docs", "dir", 0},
			{"docs-link", "symlink", 0},
			{"exact.txt", "file", testLimit},
			{"img", "dir", 0},
			{"link-etc", "symlink", 0},
			{"link-out", "symlink", 0},
			{"link-out-relative", "symlink", 0},
			{"top.txt", "file", 4},
		}},
		{"subdirectory", map[string]any{"path": "docs/deep/"}, "docs/deep", []entry{
			{"a", "dir", 0},
			{"x.go", "file", 10},
		}},
		{"through a link inside the root", map[string]any{"path": "docs-link"}, "docs-link", []entry{
			{"deep", "dir", 0},
			{"readme.md", "file", 8},
		}},
		{"dot dot that stays inside", map[string]any{"path": "docs/deep/../deep/a"}, "docs/deep/a", []entry{
			{"b", "dir", 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := structured[listOutput](t, fx.call(t, c, "list_directory", tt.args))
			if out.Path != tt.path {
				t.Errorf("got path %q, want %q", out.Path, tt.path)
			}
			if !reflect.DeepEqual(out.Entries, tt.want) {
				t.Errorf("got entries %+v, want %+v", out.Entries, tt.want)
			}
			if out.Truncated {
				t.Errorf("got truncated true, want false")
			}
		})
	}
}

func TestListDirectoryRefuses(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	tests := []struct {
		path string
		want string
	}{
		{"..", "list_directory: ..: leads outside the root"},
		{"docs/../..", "list_directory: docs/../..: leads outside the root"},
		{"/etc", "list_directory: /etc: is absolute"},
		{"link-etc", "list_directory: link-etc: leads outside the root"},
		{"link-out", "list_directory: link-out: leads outside the root"},
		{"link-out-relative", "list_directory: link-out-relative: leads outside the root"},
		{"missing", "list_directory: missing: no such file or directory"},
		{"top.txt", "list_directory: top.txt: not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			wantError(t, fx.call(t, c, "list_directory", map[string]any{"path": tt.path}), tt.want)
		})
	}
}

func TestListDirectoryTruncates(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, map[string]any{"max_results": 3})
	out := structured[listOutput](t, fx.call(t, c, "list_directory", map[string]any{}))
	if len(out.Entries) != 3 || !out.Truncated {
		t.Errorf("got %d entries, truncated %v; want 3, true", len(out.Entries), out.Truncated)
	}
}

func TestListEmptyDirectoryGivesEmptyList(t *testing.T) {
	fx := newFixture(t)
	if err := os.Mkdir(filepath.Join(fx.root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := fx.start(t, nil)
	res := fx.call(t, c, "list_directory", map[string]any{"path": "empty"})
	if got, want := string(res.GetStructuredContent()), `{"path":"empty","entries":[],"truncated":false}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
