package dispatch

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// logSeverity orders the MCP log levels (RFC 5424), least severe first.
var logSeverity = map[string]int{
	"debug": 0, "info": 1, "notice": 2, "warning": 3, "error": 4, "critical": 5, "alert": 6, "emergency": 7,
}

// ValidLogLevel reports whether level is one of the eight MCP log levels.
func ValidLogLevel(level string) bool {
	_, ok := logSeverity[level]
	return ok
}

type progressParams struct {
	ProgressToken json.RawMessage `json:"progressToken"`
	Progress      float64         `json:"progress"`
	Total         *float64        `json:"total,omitempty"`
	Message       string          `json:"message,omitempty"`
}

type logParams struct {
	Level  string          `json:"level"`
	Logger string          `json:"logger,omitempty"`
	Data   json.RawMessage `json:"data"`
}

// events returns what a tool call does with its plugin's progress and log
// events: forward them to the client through r.Peer as notifications/progress
// (only with a progress token) and notifications/message (only at or above
// r.LogLevel). It is nil when the client wants neither, so a plain call pays
// nothing.
func (s *Server) events(r *Request, tool *registry.Tool) func(*toolgatev1.CallToolEvent) {
	token := r.Params.Meta.ProgressToken
	wantProgress := len(token) > 0 && string(token) != "null"
	minLevel, wantLogs := logSeverity[r.LogLevel]
	if r.Peer == nil || (!wantProgress && !wantLogs) {
		return nil
	}
	var (
		mu   sync.Mutex
		last *float64
	)
	return func(ev *toolgatev1.CallToolEvent) {
		switch e := ev.GetEvent().(type) {
		case *toolgatev1.CallToolEvent_Progress:
			if !wantProgress {
				return
			}
			p := e.Progress
			mu.Lock()
			// Progress must increase with each notification; a plugin that
			// goes back is not passed on.
			stale := last != nil && p.GetProgress() <= *last
			if !stale {
				v := p.GetProgress()
				last = &v
			}
			mu.Unlock()
			if stale {
				return
			}
			_ = r.Peer.Notify("notifications/progress", progressParams{
				ProgressToken: token, Progress: p.GetProgress(), Total: p.Total, Message: p.GetMessage()})
		case *toolgatev1.CallToolEvent_Log:
			l := e.Log
			sev, ok := logSeverity[l.GetLevel()]
			if !wantLogs || sev < minLevel {
				return
			}
			data := json.RawMessage(l.GetData())
			if !ok || !json.Valid(data) {
				s.opts.Logger.Warn("dropped a malformed log message from a plugin", "tool", tool.Name,
					"plugin", tool.Plugin, "request_id", r.RequestID, "level", l.GetLevel())
				return
			}
			_ = r.Peer.Notify("notifications/message", logParams{Level: l.GetLevel(), Logger: l.GetLogger(), Data: data})
		}
	}
}

// setLevel checks a session-era logging/setLevel; the transport keeps the
// level on the session once it is accepted.
func setLevel(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	if r.Params.Level == nil || !ValidLogLevel(*r.Params.Level) {
		return nil, invalidParams("logging/setLevel: params.level must be one of debug, info, notice, warning, error, critical, alert, emergency")
	}
	return struct{}{}, nil
}

// subscribe checks a session-era resources/subscribe or unsubscribe; the
// transport keeps the subscription on the session.
func subscribe(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	if r.Params.URI == nil || *r.Params.URI == "" {
		return nil, invalidParams("%s: params.uri is required", r.Method)
	}
	return struct{}{}, nil
}

// ListenFilter is the notifications filter of a 2026-07-28
// subscriptions/listen request, and of its acknowledgement.
type ListenFilter struct {
	ToolsListChanged      bool     `json:"toolsListChanged,omitempty"`
	PromptsListChanged    bool     `json:"promptsListChanged,omitempty"`
	ResourcesListChanged  bool     `json:"resourcesListChanged,omitempty"`
	ResourceSubscriptions []string `json:"resourceSubscriptions,omitempty"`
}

// Honoured returns the part of the filter this server agrees to: the
// notification kinds its capabilities announce.
func (f ListenFilter) Honoured() ListenFilter {
	var caps struct {
		Tools, Prompts *struct {
			ListChanged bool `json:"listChanged"`
		}
		Resources *struct {
			ListChanged bool `json:"listChanged"`
			Subscribe   bool `json:"subscribe"`
		}
	}
	_ = json.Unmarshal(capabilities, &caps)
	out := ListenFilter{
		ToolsListChanged:   f.ToolsListChanged && caps.Tools != nil && caps.Tools.ListChanged,
		PromptsListChanged: f.PromptsListChanged && caps.Prompts != nil && caps.Prompts.ListChanged,
	}
	if caps.Resources != nil {
		out.ResourcesListChanged = f.ResourcesListChanged && caps.Resources.ListChanged
		if caps.Resources.Subscribe {
			out.ResourceSubscriptions = f.ResourceSubscriptions
		}
	}
	return out
}

// listen checks a subscriptions/listen request and returns the filter the
// server honours; the transport then opens the stream and acknowledges it.
func listen(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	if r.Params.Notifications == nil {
		return nil, invalidParams("subscriptions/listen: params.notifications is required")
	}
	return r.Params.Notifications.Honoured(), nil
}
