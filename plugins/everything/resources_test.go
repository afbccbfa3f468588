package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/sdk/sdktest"
)

func TestResources(t *testing.T) {
	c := start(t)
	res, err := c.ReadResource(t.Context(), "test://static-text")
	if err != nil || len(res.GetContents()) != 1 {
		t.Fatalf("static-text: got %v, %v", res, err)
	}
	if got := res.GetContents()[0]; got.GetMimeType() != "text/plain" || got.GetText() != "This is the content of the static text resource." {
		t.Errorf("static-text: got %v", got)
	}

	res, err = c.ReadResource(t.Context(), "test://static-binary")
	if err != nil || len(res.GetContents()) != 1 {
		t.Fatalf("static-binary: got %v, %v", res, err)
	}
	if got := res.GetContents()[0]; got.GetMimeType() != "image/png" || string(got.GetBlob()[1:4]) != "PNG" {
		t.Errorf("static-binary: got %v, want a PNG", got)
	}

	res, err = c.ReadResource(t.Context(), "test://template/123/data")
	if err != nil || len(res.GetContents()) != 1 {
		t.Fatalf("template: got %v, %v", res, err)
	}
	got := res.GetContents()[0]
	var data any
	if err := json.Unmarshal([]byte(got.GetText()), &data); err != nil {
		t.Fatalf("template: %v in %q", err, got.GetText())
	}
	want := map[string]any{"id": "123", "templateTest": true, "data": "Data for ID: 123"}
	if got.GetUri() != "test://template/123/data" || got.GetMimeType() != "application/json" || !reflect.DeepEqual(data, want) {
		t.Errorf("template: got %s %s %s", got.GetUri(), got.GetMimeType(), got.GetText())
	}
}

// A change of the watched resource reaches the host's watch stream, and a
// read after it sees the new revision.
func TestWatchedResourceReportsChanges(t *testing.T) {
	w := &watched{}
	p := plugin(w)
	c := sdktest.Start(t, p, nil)
	updates, err := c.WatchResources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		res, err := c.ReadResource(t.Context(), watchedURI)
		if err != nil || len(res.GetContents()) != 1 {
			t.Fatalf("got %v, %v", res, err)
		}
		return res.GetContents()[0].GetText()
	}
	if got := read(); !strings.HasSuffix(got, "revision 0") {
		t.Errorf("before a change: got %q", got)
	}
	w.change(p)
	if uri := <-updates; uri != watchedURI {
		t.Errorf("got an update of %q, want %s", uri, watchedURI)
	}
	if got := read(); !strings.HasSuffix(got, "revision 1") {
		t.Errorf("after a change: got %q", got)
	}
}

// keepChanging changes the resource on its own, and stops with its context.
func TestWatchedResourceKeepsChanging(t *testing.T) {
	w := &watched{}
	p := plugin(w)
	c := sdktest.Start(t, p, nil)
	updates, err := c.WatchResources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.keepChanging(ctx, p, time.Millisecond)
	}()
	for range 2 {
		if uri := <-updates; uri != watchedURI {
			t.Fatalf("got an update of %q, want %s", uri, watchedURI)
		}
	}
	cancel()
	<-done
	if w.revision.Load() < 2 {
		t.Errorf("got revision %d after two updates", w.revision.Load())
	}
}
