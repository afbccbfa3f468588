package sdktest_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

type searchIn struct {
	Query string `json:"query" jsonschema:"minLength=1,description=What to look for."`
	Limit int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=50,default=10"`
}

type searchOut struct {
	Hits []string `json:"hits"`
}

func TestTypedDerivesSchemas(t *testing.T) {
	c := startTools(t,
		sdk.Typed(sdk.Tool{Name: "search"}, func(context.Context, *sdk.Call, searchIn) (searchOut, error) {
			return searchOut{}, nil
		}),
		sdk.Typed(sdk.Tool{Name: "raw"}, func(context.Context, *sdk.Call, searchIn) (*sdk.Result, error) {
			return nil, nil
		}),
	)

	in := sdktest.Object(t, c.Tool("search").GetInputSchema())
	tests := []struct {
		name string
		path []string
		want any
	}{
		{"type", []string{"type"}, "object"},
		{"required", []string{"required"}, []any{"query"}},
		{"additionalProperties", []string{"additionalProperties"}, false},
		{"minLength", []string{"properties", "query", "minLength"}, 1.0},
		{"description", []string{"properties", "query", "description"}, "What to look for."},
		{"limit type", []string{"properties", "limit", "type"}, "integer"},
		{"minimum", []string{"properties", "limit", "minimum"}, 1.0},
		{"maximum", []string{"properties", "limit", "maximum"}, 50.0},
		{"default", []string{"properties", "limit", "default"}, 10.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sdktest.Lookup(in, tt.path...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s = %#v, want %#v", tt.name, got, tt.want)
			}
		})
	}

	// The schema must not depend on the Go package that declares the type.
	if id, ok := in["$id"]; ok {
		t.Errorf("got $id %v, want none", id)
	}

	out := sdktest.Object(t, c.Tool("search").GetOutputSchema())
	if got := sdktest.Lookup(out, "properties", "hits", "type"); got != "array" {
		t.Errorf("got output schema hits type %#v, want \"array\"", got)
	}
	if got := c.Tool("raw").GetOutputSchema(); len(got) != 0 {
		t.Errorf("got output schema %s for a tool returning *sdk.Result, want none", got)
	}
}

func TestToolDescriptionSurvivesTrip(t *testing.T) {
	c := startTools(t, sdk.Tool{
		Name:        "described",
		Title:       "Described",
		Description: "Has everything.",
		InputSchema: []byte(`{"type":"object"}`),
		Annotations: sdk.Annotations{Title: "Annotated", ReadOnlyHint: sdk.Hint(true), OpenWorldHint: sdk.Hint(false)},
		Scopes:      []string{"things:read"},
		Meta:        map[string]any{"owner": "tests"},
		Handler:     okTool.Handler,
	})
	got := c.Tool("described")
	a := got.GetAnnotations()
	switch {
	case got.GetTitle() != "Described" || got.GetDescription() != "Has everything.":
		t.Errorf("got title %q, description %q", got.GetTitle(), got.GetDescription())
	case a.GetTitle() != "Annotated" || a.ReadOnlyHint == nil || !*a.ReadOnlyHint || a.OpenWorldHint == nil || *a.OpenWorldHint:
		t.Errorf("got annotations %v, want title, readOnly true and openWorld false", a)
	case a.DestructiveHint != nil || a.IdempotentHint != nil:
		t.Errorf("got annotations %v, want destructive and idempotent unset", a)
	case !reflect.DeepEqual(got.GetSuggestedScopes(), []string{"things:read"}):
		t.Errorf("got scopes %v, want [things:read]", got.GetSuggestedScopes())
	case string(got.GetMeta()) != `{"owner":"tests"}`:
		t.Errorf("got _meta %s, want {\"owner\":\"tests\"}", got.GetMeta())
	}
}
