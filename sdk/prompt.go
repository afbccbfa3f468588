package sdk

import (
	"context"
	"errors"
	"fmt"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// ErrNotFound, wrapped in a handler's error, says that what was asked for
// does not exist: the host answers that the prompt or resource is unknown.
var ErrNotFound = errors.New("not found")

// ErrInvalidArguments, wrapped in a handler's error, says that the caller's
// arguments cannot be used; the host passes the error's text to the client
// as an invalid-params error. Any other error is an internal error.
var ErrInvalidArguments = errors.New("invalid arguments")

// Prompt is one prompt a plugin offers: a template of messages a user picks
// (a slash command, say) and fills in with arguments.
type Prompt struct {
	// Name is 1 to 128 characters of [A-Za-z0-9_.-], unique across the host.
	Name        string
	Title       string
	Description string
	Arguments   []PromptArgument
	// Scopes are the OAuth scopes the author suggests a caller needs to get
	// the prompt. The operator's mcp.toml has the last word.
	Scopes  []string
	Meta    map[string]any
	Handler PromptHandler
	// Complete, optional, suggests values for the prompt's arguments.
	Complete CompleteHandler
}

// PromptArgument is one argument of a prompt. The host refuses a request
// that lacks a required one before the handler runs.
type PromptArgument struct {
	Name, Title, Description string
	Required                 bool
}

// PromptHandler renders a prompt. Wrap ErrInvalidArguments in the error for
// arguments it cannot use.
type PromptHandler func(ctx context.Context, req *PromptRequest) (*PromptResult, error)

// PromptRequest is one prompts/get. A prompt may ask the client for input
// before it renders, as a tool call does (see Call): the handler returns
// the error of Elicit, Sample, Roots or Ask, and runs again from the top
// once the client has answered.
type PromptRequest struct {
	Prompt    string
	Arguments map[string]string
	Caller    Caller
	RequestID string
	// Client is what the client can be asked.
	Client ClientCapabilities
	*Input
}

// PromptResult is a rendered prompt.
type PromptResult struct {
	Description string
	Messages    []PromptMessage
	Meta        map[string]any
}

// Role is who speaks a prompt message.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// PromptMessage is one message of a rendered prompt.
type PromptMessage struct {
	Role    Role
	Content Content
}

// UserMessage returns a message the user speaks.
func UserMessage(c Content) PromptMessage { return PromptMessage{Role: RoleUser, Content: c} }

// AssistantMessage returns a message the assistant speaks.
func AssistantMessage(c Content) PromptMessage { return PromptMessage{Role: RoleAssistant, Content: c} }

func (p *Prompt) proto() (*toolgatev1.Prompt, error) {
	if p.Handler == nil {
		return nil, errors.New("no handler")
	}
	meta, err := optionalJSON(p.Meta)
	if err != nil {
		return nil, fmt.Errorf("_meta: %w", err)
	}
	out := &toolgatev1.Prompt{Name: p.Name, Title: p.Title, Description: p.Description, SuggestedScopes: p.Scopes, Meta: meta}
	seen := map[string]bool{}
	for _, a := range p.Arguments {
		if a.Name == "" || seen[a.Name] {
			return nil, fmt.Errorf("argument %q: every argument needs a name of its own", a.Name)
		}
		seen[a.Name] = true
		out.Arguments = append(out.Arguments, &toolgatev1.PromptArgument{
			Name: a.Name, Title: a.Title, Description: a.Description, Required: a.Required,
		})
	}
	return out, nil
}

func (r *PromptResult) toProto() (*toolgatev1.GetPromptResult, error) {
	meta, err := optionalJSON(r.Meta)
	if err != nil {
		return nil, fmt.Errorf("result _meta: %w", err)
	}
	out := &toolgatev1.GetPromptResult{Description: r.Description, Meta: meta}
	for i, m := range r.Messages {
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return nil, fmt.Errorf("message %d: role %q is neither user nor assistant", i, m.Role)
		}
		if m.Content == nil {
			return nil, fmt.Errorf("message %d has no content", i)
		}
		c, err := m.Content.proto()
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out.Messages = append(out.Messages, &toolgatev1.PromptMessage{Role: string(m.Role), Content: c})
	}
	return out, nil
}
