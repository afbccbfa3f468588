package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// testLimit is max_file_bytes in these tests, small enough to write past.
const testLimit = 64

var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 24)...)
	blobBytes = func() []byte {
		b := make([]byte, testLimit)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()
)

// fixture is a root directory with one of everything, and a directory
// outside it holding a secret the tools must never reach.
type fixture struct {
	root    string
	outside string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	fx := fixture{root: t.TempDir(), outside: t.TempDir()}
	write := func(dir, name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(fx.root, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(fx.root, "docs/readme.md", []byte("# Hello\n"))
	write(fx.root, "docs/deep/x.go", []byte("package x\n"))
	write(fx.root, "docs/deep/a/b/notes.txt", []byte("notes\n"))
	write(fx.root, "data/blob.bin", blobBytes)
	write(fx.root, "data/report.pdf", append([]byte("%PDF-1.7\n"), 0xff, 0x00))
	write(fx.root, "img/pixel.png", pngBytes)
	write(fx.root, "img/fake.png", []byte("just text"))
	write(fx.root, "exact.txt", bytes.Repeat([]byte("a"), testLimit))
	write(fx.root, "big.txt", bytes.Repeat([]byte("a"), testLimit+1))
	write(fx.root, "top.txt", []byte("top\n"))
	write(fx.outside, "secret.txt", []byte("top secret\n"))
	link("/etc", "link-etc")
	link(fx.outside, "link-out")
	link("../"+filepath.Base(fx.outside), "link-out-relative")
	link("docs/readme.md", "alias.md")
	link("docs", "docs-link")
	link(filepath.Join(fx.root, "docs", "readme.md"), "abs-inside.md")
	return fx
}

func (fx fixture) start(t *testing.T, extra map[string]any) *sdktest.Client {
	t.Helper()
	cfg := map[string]any{"root": fx.root, "max_file_bytes": testLimit}
	for k, v := range extra {
		cfg[k] = v
	}
	return sdktest.Start(t, newPlugin(), cfg)
}

// call calls a tool and checks that no text it returns reveals where the
// root or the outside directory are on the host.
func (fx fixture) call(t *testing.T, c *sdktest.Client, tool string, args any) *toolgatev1.CallToolResult {
	t.Helper()
	res, _, err := c.Call(t.Context(), tool, args)
	if err != nil {
		t.Fatalf("calling %s: %v", tool, err)
	}
	text := sdktest.Text(res) + string(res.GetStructuredContent())
	for _, dir := range []string{fx.root, fx.outside} {
		if strings.Contains(text, dir) {
			t.Errorf("got %q, want no mention of the host path %s", text, dir)
		}
	}
	if strings.Contains(text, "top secret") {
		t.Errorf("got %q, want nothing from outside the root", text)
	}
	return res
}

// structured decodes a successful result's structured content, after
// checking that the text mirror says the same.
func structured[T any](t *testing.T, res *toolgatev1.CallToolResult) T {
	t.Helper()
	if res.GetIsError() {
		t.Fatalf("got error result %q, want success", sdktest.Text(res))
	}
	if got, want := sdktest.Text(res), string(res.GetStructuredContent()); got != want {
		t.Errorf("got text mirror %s, want %s", got, want)
	}
	var v T
	if err := json.Unmarshal(res.GetStructuredContent(), &v); err != nil {
		t.Fatalf("decoding %s: %v", res.GetStructuredContent(), err)
	}
	return v
}

func wantError(t *testing.T, res *toolgatev1.CallToolResult, want string) {
	t.Helper()
	if !res.GetIsError() {
		t.Fatalf("got success %v, want an error containing %q", res, want)
	}
	if got := sdktest.Text(res); !strings.Contains(got, want) {
		t.Errorf("got error %q, want it to contain %q", got, want)
	}
}

func TestToolsDescription(t *testing.T) {
	c := newFixture(t).start(t, nil)
	var names []string
	for _, tool := range c.Tools() {
		names = append(names, tool.GetName())
		a := tool.GetAnnotations()
		if a.ReadOnlyHint == nil || !*a.ReadOnlyHint || a.OpenWorldHint == nil || *a.OpenWorldHint {
			t.Errorf("%s: got annotations %v, want readOnlyHint true and openWorldHint false", tool.GetName(), a)
		}
		if got, want := tool.GetSuggestedScopes(), []string{"files:read"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got scopes %v, want %v", tool.GetName(), got, want)
		}
	}
	if want := []string{"list_directory", "read_file", "search_files"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got tools %v, want %v", names, want)
	}
	if c.Tool("read_file").GetOutputSchema() != nil {
		t.Errorf("got an output schema for read_file, want none: its content varies by file")
	}
	for _, name := range []string{"list_directory", "search_files"} {
		if len(c.Tool(name).GetOutputSchema()) == 0 {
			t.Errorf("%s: got no output schema, want one", name)
		}
	}
}
