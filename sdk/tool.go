package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
)

// Handler runs one call of a tool. A returned error becomes a result with
// isError set and the error's text as its content, so the model can read it
// and try again; return a *Result with IsError set for a richer failure.
type Handler func(ctx context.Context, call *Call) (*Result, error)

// Tool is one tool a plugin offers.
type Tool struct {
	// Name is 1 to 128 characters of [A-Za-z0-9_.-], unique across the host.
	Name        string
	Title       string
	Description string
	// InputSchema is a JSON Schema of type object, published exactly as
	// written. Typed derives it from the argument struct when it is empty.
	InputSchema json.RawMessage
	// OutputSchema, optional, describes the result's structured content.
	OutputSchema json.RawMessage
	Annotations  Annotations
	// Scopes are the OAuth scopes the author suggests a caller needs. The
	// operator's mcp.toml has the last word.
	Scopes  []string
	Meta    map[string]any
	Handler Handler
}

// Annotations are hints about a tool's behaviour; nil means "not said".
type Annotations struct {
	Title           string
	ReadOnlyHint    *bool
	DestructiveHint *bool
	IdempotentHint  *bool
	OpenWorldHint   *bool
}

// Hint returns a pointer to b, for the fields of Annotations.
func Hint(b bool) *bool { return &b }

// Typed builds a tool whose arguments decode into In, strictly: an unknown
// field or a wrong type is an error the model sees. The input schema is
// derived from In (struct tags `json` and `jsonschema`, see
// github.com/invopop/jsonschema) unless t.InputSchema is set.
//
// When Out is not *Result, the tool's output schema is derived from Out and
// the handler's value is returned as structured content, mirrored as a JSON
// text block for clients that read only content. When Out is *Result, the
// handler builds its own result.
func Typed[In, Out any](t Tool, h func(ctx context.Context, call *Call, in In) (Out, error)) Tool {
	if t.InputSchema == nil {
		t.InputSchema = SchemaFor[In]()
	}
	structured := reflect.TypeFor[Out]() != reflect.TypeFor[*Result]()
	if k := derefKind(reflect.TypeFor[Out]()); structured && k != reflect.Struct && k != reflect.Map {
		// MCP requires structured content, and so the output schema, to be
		// a JSON object.
		panic(fmt.Sprintf("sdk: Typed tool %s: Out must be a struct, a map or *sdk.Result, not %v", t.Name, reflect.TypeFor[Out]()))
	}
	if structured && t.OutputSchema == nil {
		t.OutputSchema = SchemaFor[Out]()
	}
	t.Handler = func(ctx context.Context, call *Call) (*Result, error) {
		var in In
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		out, err := h(ctx, call, in)
		if err != nil {
			return nil, err
		}
		if !structured {
			return any(out).(*Result), nil
		}
		return StructuredResult(out)
	}
	return t
}

// SchemaFor derives a JSON Schema (draft 2020-12) from a Go type: fields
// without `omitempty` are required, and no other properties are allowed.
func SchemaFor[T any]() json.RawMessage {
	r := jsonschema.Reflector{
		// Without Anonymous the schema gets an "$id" made up from the Go
		// package path: a URL that resolves nowhere, and that is left out
		// for package main but not for its tests, so tests would check a
		// schema the plugin never publishes.
		Anonymous:                 true,
		DoNotReference:            true,
		ExpandedStruct:            true,
		AllowAdditionalProperties: false,
	}
	b, err := json.Marshal(r.ReflectFromType(reflect.TypeFor[T]()))
	if err != nil {
		// Reflection of a Go type into a schema cannot fail at run time
		// unless the type is unusable as JSON: a programming error.
		panic(fmt.Sprintf("sdk: deriving a JSON schema for %v: %v", reflect.TypeFor[T](), err))
	}
	return b
}

func derefKind(t reflect.Type) reflect.Kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind()
}
