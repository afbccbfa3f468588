package main

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

func TestReadFile(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	text := func(s string) *toolgatev1.Content {
		return &toolgatev1.Content{Kind: &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: s}}}
	}
	blob := func(uri, mimeType string, data []byte) *toolgatev1.Content {
		return &toolgatev1.Content{Kind: &toolgatev1.Content_Resource{Resource: &toolgatev1.EmbeddedResource{
			Uri: uri, MimeType: mimeType, Body: &toolgatev1.EmbeddedResource_Blob{Blob: data},
		}}}
	}
	tests := []struct {
		name string
		path string
		want *toolgatev1.Content
	}{
		{"text", "docs/readme.md", text("# Hello\n")},
		{"text at the size limit", "exact.txt", text(strings.Repeat("a", testLimit))},
		{"symlink inside the root", "alias.md", text("# Hello\n")},
		{"through a directory link inside the root", "docs-link/readme.md", text("# Hello\n")},
		{"dot dot that stays inside", "docs/deep/../readme.md", text("# Hello\n")},
		{"text named like an image", "img/fake.png", text("just text")},
		{"binary", "data/blob.bin", blob("files:///data/blob.bin", "application/octet-stream", blobBytes)},
		{"binary typed by extension", "data/report.pdf", blob("files:///data/report.pdf", "application/pdf", append([]byte("%PDF-1.7\n"), 0xff, 0x00))},
		{"image", "img/pixel.png", &toolgatev1.Content{Kind: &toolgatev1.Content_Image{Image: &toolgatev1.ImageContent{Data: pngBytes, MimeType: "image/png"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fx.call(t, c, "read_file", map[string]any{"path": tt.path})
			if res.GetIsError() {
				t.Fatalf("got error %q, want success", sdktest.Text(res))
			}
			if len(res.GetContent()) != 1 || !proto.Equal(res.GetContent()[0], tt.want) {
				t.Errorf("got content %v, want [%v]", res.GetContent(), tt.want)
			}
		})
	}
}

func TestReadFileRefuses(t *testing.T) {
	fx := newFixture(t)
	c := fx.start(t, nil)
	tests := []struct {
		name string
		path string
		want string
	}{
		{"over the size limit", "big.txt", "read_file: big.txt: is 65 bytes, over the limit of 64 bytes"},
		{"dot dot", "../x", "read_file: ../x: leads outside the root"},
		{"dot dot after a name", "docs/../../x", "read_file: docs/../../x: leads outside the root"},
		{"absolute", "/etc/passwd", "read_file: /etc/passwd: is absolute"},
		{"symlink to /etc", "link-etc/passwd", "read_file: link-etc/passwd: leads outside the root"},
		{"symlinked directory escaping", "link-out/secret.txt", "read_file: link-out/secret.txt: leads outside the root"},
		{"relative symlink escaping", "link-out-relative/secret.txt", "read_file: link-out-relative/secret.txt: leads outside the root"},
		{"dot dot through a link inside", "docs-link/../../x", "read_file: docs-link/../../x: leads outside the root"},
		{"absolute symlink into the root", "abs-inside.md", "read_file: abs-inside.md: leads outside the root"},
		{"directory", "docs", "read_file: docs: is a directory"},
		{"missing", "docs/nope.md", "read_file: docs/nope.md: no such file or directory"},
		{"file as a directory", "top.txt/x", "read_file: top.txt/x: not a directory"},
		{"empty path", "", "read_file: .: is a directory"},
		{"NUL byte", "top.txt\x00", "read_file: top.txt\x00: contains a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, fx.call(t, c, "read_file", map[string]any{"path": tt.path}), tt.want)
		})
	}
}

// growingReader stands for a file that grows after its size was checked.
type growingReader struct{ n int }

func (g *growingReader) Read(p []byte) (int, error) {
	g.n += len(p)
	return len(p), nil
}

func TestReadAtMost(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		limit   int64
		wantErr error
	}{
		{"under", "abc", 4, nil},
		{"at", "abcd", 4, nil},
		{"over", "abcde", 4, errTooBig},
		{"empty", "", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAtMost(strings.NewReader(tt.data), tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != tt.data {
				t.Errorf("got %q, want %q", got, tt.data)
			}
		})
	}
	t.Run("endless", func(t *testing.T) {
		g := &growingReader{}
		if _, err := readAtMost(g, 1000); !errors.Is(err, errTooBig) {
			t.Errorf("got error %v, want %v", err, errTooBig)
		}
		if g.n > 1001 {
			t.Errorf("got %d bytes read, want at most the limit and one", g.n)
		}
	})
}
