package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// resources are the plugin's resources at fixed URIs, text and binary; the
// watched resource is in watched.go.
func resources() []sdk.Resource {
	return []sdk.Resource{
		{
			URI: "test://static-text", Name: "static-text", Title: "Static text",
			Description: "A text resource that never changes.", MIMEType: "text/plain",
			Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
				return sdk.TextContents(req.URI, "text/plain", "This is the content of the static text resource."), nil
			},
		},
		{
			URI: "test://static-binary", Name: "static-binary", Title: "Static binary",
			Description: "A binary resource that never changes: a 1x1 PNG.", MIMEType: "image/png",
			Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
				// Blob holds raw bytes; the host base64-encodes them.
				return []sdk.ResourceContents{{URI: req.URI, MIMEType: "image/png", Blob: pngPixel}}, nil
			},
		},
	}
}

// templates are the plugin's resource templates: the host matches a URI
// against each and hands the handler the values of its variables.
func templates() []sdk.ResourceTemplate {
	return []sdk.ResourceTemplate{{
		URITemplate: "test://template/{id}/data", Name: "template", Title: "Data by id",
		Description: "JSON data for any id, which the content repeats.", MIMEType: "application/json",
		Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
			id := req.Variables["id"]
			b, err := json.Marshal(map[string]any{"id": id, "templateTest": true, "data": "Data for ID: " + id})
			if err != nil {
				return nil, fmt.Errorf("encoding the data of %s: %w", req.URI, err)
			}
			return sdk.TextContents(req.URI, "application/json", string(b)), nil
		},
	}}
}
