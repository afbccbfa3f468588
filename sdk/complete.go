package sdk

import (
	"context"
	"strings"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// maxCompletionValues is MCP's limit on the values of one completion.
const maxCompletionValues = 100

// CompleteHandler suggests values for one argument of a prompt, or one
// variable of a resource template.
type CompleteHandler func(ctx context.Context, req *CompleteRequest) (*Completion, error)

// CompleteRequest is one completion/complete.
type CompleteRequest struct {
	// Argument is the argument's or variable's name; Value what the user
	// typed so far.
	Argument, Value string
	// Context holds the arguments the user already chose.
	Context   map[string]string
	Caller    Caller
	RequestID string
}

// Completion is a list of suggestions, best first. Values past the 100th
// are cut, and HasMore is then set.
type Completion struct {
	Values []string
	// Total, when positive, is how many values there are in all.
	Total   int
	HasMore bool
}

// CompleteFrom returns a handler that offers, for each argument, the values
// of choices[argument] that start with what the user typed.
func CompleteFrom(choices map[string][]string) CompleteHandler {
	return func(_ context.Context, req *CompleteRequest) (*Completion, error) {
		var out []string
		for _, v := range choices[req.Argument] {
			if strings.HasPrefix(v, req.Value) {
				out = append(out, v)
			}
		}
		return &Completion{Values: out, Total: len(out)}, nil
	}
}

func (c *Completion) toProto() *toolgatev1.CompleteResult {
	out := &toolgatev1.CompleteResult{Values: c.Values, HasMore: c.HasMore}
	if out.Values == nil {
		out.Values = []string{}
	}
	if len(out.Values) > maxCompletionValues {
		out.Values, out.HasMore = out.Values[:maxCompletionValues], true
	}
	if c.Total > 0 {
		total := int64(c.Total)
		out.Total = &total
	}
	return out
}
