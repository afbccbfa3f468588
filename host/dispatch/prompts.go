package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/limit"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

type listPromptsResult struct {
	Prompts []json.RawMessage `json:"prompts"`
	listCommon
}

func (s *Server) listPrompts(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	reg := s.registry.Load()
	defs, common, jerr := listPage(s, r, reg.PagePrompts,
		func(p *registry.Prompt) []string { return p.Scopes },
		func(p *registry.Prompt) json.RawMessage { return p.Definition })
	if jerr != nil {
		return nil, jerr
	}
	return &listPromptsResult{Prompts: defs, listCommon: common}, nil
}

// getPromptResult is the MCP GetPromptResult.
type getPromptResult struct {
	ResultType  string          `json:"resultType,omitempty"`
	Description string          `json:"description,omitempty"`
	Messages    []promptMessage `json:"messages"`
	Meta        json.RawMessage `json:"_meta,omitempty"`
}

type promptMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

func (s *Server) getPrompt(ctx context.Context, r *Request) (any, *jsonrpc.Error) {
	p := &r.Params
	if p.Name == nil {
		return nil, invalidParams("prompts/get: params.name is required")
	}
	prompt, ok := s.registry.Load().LookupPrompt(*p.Name)
	if !ok {
		return nil, invalidParams("Unknown prompt: %s", *p.Name)
	}
	var args map[string]string
	if len(p.Arguments) > 0 && string(p.Arguments) != "null" {
		if err := json.Unmarshal(p.Arguments, &args); err != nil {
			return nil, invalidParams("prompts/get: params.arguments must be an object of strings")
		}
	}
	var missing []string
	for _, name := range prompt.Required {
		if _, ok := args[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, invalidParams("prompts/get: prompt %s needs the argument(s) %s", prompt.Name, strings.Join(missing, ", "))
	}
	promptArgs := p.Arguments
	if len(promptArgs) == 0 || string(promptArgs) == "null" {
		promptArgs = json.RawMessage("{}")
	}
	target := &inputTarget{kind: "prompt", name: prompt.Name, plugin: prompt.Plugin, args: promptArgs,
		fail: func(format string, a ...any) (any, *jsonrpc.Error) {
			return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf(format, a...))
		},
		failed: func(err error) (any, *jsonrpc.Error, string) {
			var ref *pluginhost.Refusal
			if errors.As(err, &ref) {
				return nil, invalidParams("prompts/get: %s", ref.Message), "error"
			}
			return nil, s.requestFailed(r, "prompt "+prompt.Name, prompt.Plugin, err), "error"
		},
	}
	res, out, jerr, _, done := runRounds(ctx, s, r, target, func(responses map[string][]byte, state []byte) (*toolgatev1.GetPromptResult, error) {
		// Each round has the prompt's timeout: the time the user takes
		// to answer between rounds is not the plugin's.
		ctx, cancel := context.WithTimeout(ctx, prompt.Timeout)
		defer cancel()
		res, err := prompt.Provider.GetPrompt(ctx, &toolgatev1.GetPromptRequest{
			Name: prompt.Name, Arguments: args, Caller: callerProto(r.Caller), RequestId: r.RequestID,
			InputResponses: responses, RequestState: state, ClientCapabilities: r.clientCapabilities(),
		})
		return res, deadline(ctx, err)
	})
	if done {
		return out, jerr
	}
	return s.promptResult(r, prompt, res)
}

// promptResult checks and encodes a plugin's rendered prompt.
func (s *Server) promptResult(r *Request, prompt *registry.Prompt, res *toolgatev1.GetPromptResult) (any, *jsonrpc.Error) {
	out := &getPromptResult{Description: res.GetDescription(), Messages: make([]promptMessage, 0, len(res.GetMessages()))}
	for i, m := range res.GetMessages() {
		block, err := contentBlock(m.GetContent())
		if err == nil && m.GetRole() != "user" && m.GetRole() != "assistant" {
			err = fmt.Errorf("role %q is neither user nor assistant", m.GetRole())
		}
		if err != nil {
			return nil, s.badAnswer(r, "prompt "+prompt.Name, prompt.Plugin, fmt.Errorf("messages[%d]: %w", i, err))
		}
		out.Messages = append(out.Messages, promptMessage{Role: m.GetRole(), Content: block})
	}
	meta, err := s.resultMeta(r, res.GetMeta())
	if err != nil {
		return nil, s.badAnswer(r, "prompt "+prompt.Name, prompt.Plugin, err)
	}
	out.Meta = meta
	if r.Modern {
		out.ResultType = "complete"
	}
	return out, nil
}

// deadline reports a request that ran out of time as such, even when the
// plugin, which shares the deadline, answered first with an error of its own.
func deadline(ctx context.Context, err error) error {
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return ctx.Err()
	}
	return err
}

// requestFailed turns a failed prompt, resource or completion request into
// the JSON-RPC error the client gets; what names the prompt or resource.
func (s *Server) requestFailed(r *Request, what, plugin string, err error) *jsonrpc.Error {
	log := s.opts.Logger.With("method", r.Method, "plugin", plugin, "request_id", r.RequestID)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("request timed out", "what", what)
		return jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("%s did not answer in time and was cancelled", what))
	case errors.Is(err, context.Canceled):
		return jsonrpc.NewError(jsonrpc.CodeInternalError, "request cancelled")
	case errors.Is(err, limit.ErrQueueFull):
		log.Warn("request refused: too many calls", "error", err)
		return &jsonrpc.Error{Code: jsonrpc.CodeUnavailable, Message: fmt.Sprintf("%s is busy: %v; retry shortly", what, err)}
	case errors.Is(err, pluginhost.ErrUnavailable):
		log.Error("plugin unavailable", "error", err)
		return &jsonrpc.Error{Code: jsonrpc.CodeUnavailable, Message: fmt.Sprintf("%s is unavailable: plugin %s %s; retry shortly", what, plugin,
			strings.TrimPrefix(err.Error(), pluginhost.ErrUnavailable.Error()+": "))}
	case errors.Is(err, pluginhost.ErrResultTooLarge):
		log.Error("result too large", "error", err)
		return jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("%s returned a result larger than its plugin's max_result_bytes", what))
	}
	log.Error("request failed", "what", what, "error", err)
	return jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("%s failed in plugin %s: %v", what, plugin, err))
}

// badAnswer is the error for a plugin answer that breaks the contract.
func (s *Server) badAnswer(r *Request, what, plugin string, err error) *jsonrpc.Error {
	s.opts.Logger.Error("plugin answer cannot be sent", "method", r.Method, "plugin", plugin, "request_id", r.RequestID, "error", err)
	return jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("%s returned an answer that cannot be sent: %v", what, err))
}

// completionScopes are the scopes a completion needs: those of what it completes.
func completionScopes(reg *registry.Registry, ref *CompleteRef) []string {
	switch ref.Type {
	case "ref/prompt":
		if p, ok := reg.LookupPrompt(ref.Name); ok {
			return p.Scopes
		}
	case "ref/resource":
		if t, ok := reg.LookupTemplate(ref.URI); ok {
			return t.Scopes
		}
		if res, _, ok := reg.LookupResource(ref.URI); ok {
			return res.Scopes
		}
	}
	return nil
}
