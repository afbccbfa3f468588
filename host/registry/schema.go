package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schema is a compiled JSON Schema (2020-12 unless it names another draft).
type schema struct{ s *jsonschema.Schema }

// noRemoteRefs refuses every $ref outside the schema itself: the MCP spec
// says servers never fetch remote references by default, and a plugin must
// not make the host read its files either.
type noRemoteRefs struct{}

func (noRemoteRefs) Load(url string) (any, error) {
	return nil, fmt.Errorf("$ref to %s: only references within the schema are allowed", url)
}

// compileSchema compiles raw as the schema named id (used in messages).
func compileSchema(id string, raw []byte) (*schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noRemoteRefs{})
	url := "toolgate:///" + id
	if err := c.AddResource(url, obj); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	return &schema{s: s}, nil
}

var printer = message.NewPrinter(language.English)

// validate checks a JSON document against the schema. The error lists each
// failing value by its location, e.g. `repeat_count: must be <= 10, but got 11`.
func (s *schema) validate(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	return s.validateValue(v)
}

func (s *schema) validateValue(v any) error {
	err := s.s.Validate(v)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	var problems []string
	collectLeaves(ve, &problems)
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

// collectLeaves keeps the innermost errors: they name the field and the
// keyword that failed, where the outer ones only say "does not match".
func collectLeaves(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) == 0 {
		*out = append(*out, fmt.Sprintf("%s: %s", location(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)))
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

// location renders an instance location as a dotted path; the root is "arguments".
func location(path []string) string {
	if len(path) == 0 {
		return "arguments"
	}
	return strings.Join(path, ".")
}

// isObjectSchema tells whether an input schema declares type "object", as
// MCP requires of every tool's inputSchema.
func isObjectSchema(raw []byte) bool {
	var s struct {
		Type json.RawMessage `json:"type"`
	}
	return json.Unmarshal(raw, &s) == nil && bytes.Equal(s.Type, []byte(`"object"`))
}
