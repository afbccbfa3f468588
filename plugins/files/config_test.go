package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk/sdktest"
)

func TestConfigRefused(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"unknown key", map[string]any{"root": fx.root, "max_bytes": 10}, `unknown field "max_bytes"`},
		{"no root", map[string]any{}, "files: root is required"},
		{"missing root", map[string]any{"root": filepath.Join(fx.root, "nope")}, "does not exist"},
		{"root is a file", map[string]any{"root": filepath.Join(fx.root, "top.txt")}, "is not a directory"},
		{"wrong type", map[string]any{"root": fx.root, "max_results": "ten"}, "cannot unmarshal string"},
		{"zero max_file_bytes", map[string]any{"root": fx.root, "max_file_bytes": 0}, "max_file_bytes is 0"},
		{"negative max_results", map[string]any{"root": fx.root, "max_results": -1}, "max_results is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sdktest.Init(t, newPlugin(), tt.config)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

// The host starts a plugin in its config file's directory, so a relative
// root is relative to that.
func TestConfigRelativeRoot(t *testing.T) {
	fx := newFixture(t)
	t.Chdir(filepath.Dir(fx.root))
	c := sdktest.Start(t, newPlugin(), map[string]any{"root": filepath.Base(fx.root)})
	res := fx.call(t, c, "read_file", map[string]any{"path": "top.txt"})
	if got := sdktest.Text(res); res.GetIsError() || got != "top\n" {
		t.Errorf("got %q (isError %v), want %q", got, res.GetIsError(), "top\n")
	}
}

func TestConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, defaultMaxFileBytes)
	if err := os.WriteFile(filepath.Join(dir, "one-mib.txt"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "over.txt"), append(big, 'x'), 0o644); err != nil {
		t.Fatal(err)
	}
	c := sdktest.Start(t, newPlugin(), map[string]any{"root": dir})
	res, _, err := c.Call(t.Context(), "read_file", map[string]any{"path": "one-mib.txt"})
	if err != nil || res.GetIsError() {
		t.Errorf("reading a file of exactly the default limit: got %q, %v; want success", sdktest.Text(res), err)
	}
	res, _, err = c.Call(t.Context(), "read_file", map[string]any{"path": "over.txt"})
	if err != nil || !strings.Contains(sdktest.Text(res), "over the limit of 1048576 bytes") {
		t.Errorf("reading a file over the default limit: got %q, %v; want it refused", sdktest.Text(res), err)
	}
}
