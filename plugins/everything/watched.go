package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/toolgate/toolgate/sdk"
)

const (
	watchedURI = "test://watched-resource"
	// watchedEvery is how often the watched resource changes.
	watchedEvery = 3 * time.Second
)

// watched is a resource that changes on its own, so a client has something
// to subscribe to: each change is reported with Plugin.ResourceUpdated, and
// the host sends notifications/resources/updated to the clients subscribed
// to the URI.
type watched struct {
	revision atomic.Int64
}

func (w *watched) resource() sdk.Resource {
	return sdk.Resource{
		URI: watchedURI, Name: "watched-resource", Title: "Watched resource",
		Description: fmt.Sprintf("A text resource that changes every %v; subscribe to be told.", watchedEvery),
		MIMEType:    "text/plain",
		Handler: func(context.Context, *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
			text := fmt.Sprintf("Watched resource content, revision %d", w.revision.Load())
			return sdk.TextContents(watchedURI, "text/plain", text), nil
		},
	}
}

// change moves the resource to its next revision and reports it.
func (w *watched) change(p *sdk.Plugin) {
	w.revision.Add(1)
	p.ResourceUpdated(watchedURI)
}

// keepChanging changes the resource every d until ctx is done.
func (w *watched) keepChanging(ctx context.Context, p *sdk.Plugin, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.change(p)
		}
	}
}
