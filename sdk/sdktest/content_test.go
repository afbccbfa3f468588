package sdktest_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

func TestEveryContentKindSurvivesTrip(t *testing.T) {
	half, size := 0.5, int64(2048)
	binary := []byte{0x00, 0xff, 0x89, 'P', 'N', 'G', 0x0d, 0x0a}
	ann := &sdk.ContentAnnotations{Audience: []string{"user", "assistant"}, Priority: &half, LastModified: "2025-06-18T10:00:00Z"}
	c := startTools(t, handlerTool("all", func(context.Context, *sdk.Call) (*sdk.Result, error) {
		return &sdk.Result{
			Content: []sdk.Content{
				&sdk.TextContent{Text: "héllo\n", Block: sdk.Block{Annotations: ann, Meta: map[string]any{"k": "v"}}},
				&sdk.ImageContent{Data: binary, MIMEType: "image/png"},
				&sdk.AudioContent{Data: binary, MIMEType: "audio/wav", Block: sdk.Block{Meta: map[string]any{"seconds": 3}}},
				&sdk.ResourceLink{URI: "file:///a.txt", Name: "a.txt", Title: "A", Description: "The a file.", MIMEType: "text/plain", Size: &size},
				&sdk.EmbeddedResource{URI: "mem://t", MIMEType: "text/plain", Text: "inline", ResourceMeta: map[string]any{"rev": 2}},
				&sdk.EmbeddedResource{URI: "mem://b", MIMEType: "application/octet-stream", Blob: binary, Block: sdk.Block{Annotations: &sdk.ContentAnnotations{Audience: []string{"user"}}}},
			},
			StructuredContent: map[string]any{"n": 1},
			Meta:              map[string]any{"trace": "abc"},
		}, nil
	}))

	got, _ := mustCall(t, c, "all", nil)
	want := &toolgatev1.CallToolResult{
		Content: []*toolgatev1.Content{
			{
				Kind:        &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: "héllo\n"}},
				Annotations: []byte(`{"audience":["user","assistant"],"priority":0.5,"lastModified":"2025-06-18T10:00:00Z"}`),
				Meta:        []byte(`{"k":"v"}`),
			},
			{Kind: &toolgatev1.Content_Image{Image: &toolgatev1.ImageContent{Data: binary, MimeType: "image/png"}}},
			{
				Kind: &toolgatev1.Content_Audio{Audio: &toolgatev1.AudioContent{Data: binary, MimeType: "audio/wav"}},
				Meta: []byte(`{"seconds":3}`),
			},
			{Kind: &toolgatev1.Content_ResourceLink{ResourceLink: &toolgatev1.ResourceLink{
				Uri: "file:///a.txt", Name: "a.txt", Title: "A", Description: "The a file.", MimeType: "text/plain", Size: &size,
			}}},
			{Kind: &toolgatev1.Content_Resource{Resource: &toolgatev1.EmbeddedResource{
				Uri: "mem://t", MimeType: "text/plain", Body: &toolgatev1.EmbeddedResource_Text{Text: "inline"}, Meta: []byte(`{"rev":2}`),
			}}},
			{
				Kind: &toolgatev1.Content_Resource{Resource: &toolgatev1.EmbeddedResource{
					Uri: "mem://b", MimeType: "application/octet-stream", Body: &toolgatev1.EmbeddedResource_Blob{Blob: binary},
				}},
				Annotations: []byte(`{"audience":["user"]}`),
			},
		},
		StructuredContent: []byte(`{"n":1}`),
		Meta:              []byte(`{"trace":"abc"}`),
	}
	if len(got.GetContent()) != len(want.GetContent()) {
		t.Fatalf("got %d content blocks, want %d", len(got.GetContent()), len(want.GetContent()))
	}
	for i := range want.GetContent() {
		if !proto.Equal(got.GetContent()[i], want.GetContent()[i]) {
			t.Errorf("block %d: got %v, want %v", i, got.GetContent()[i], want.GetContent()[i])
		}
	}
	if !proto.Equal(got, want) {
		t.Errorf("got result %v, want %v", got, want)
	}
}
