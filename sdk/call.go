package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Call is one call of a tool: its arguments, who makes it, and the way to
// report progress and log lines back to the client while it runs.
type Call struct {
	Tool      string
	Arguments json.RawMessage
	Caller    Caller
	// RequestID is the host's id for this call, also found in its logs.
	RequestID string
	// Client is what the client can be asked (see Elicit, Sample, Roots).
	Client ClientCapabilities
	// Input asks the client for input: Elicit, Sample, Roots, Ask,
	// SaveState and LoadState.
	*Input

	mu   sync.Mutex
	send func(*toolgatev1.CallToolEvent) error
	done bool
}

// Caller is who makes a call, as the host verified it. The bearer token
// itself never reaches a plugin.
type Caller struct {
	Subject  string
	ClientID string
	Issuer   string
	Scopes   []string
	// Claims holds a few chosen claims of the caller's token.
	Claims map[string]any
}

// LogLevel is an MCP log severity (RFC 5424).
type LogLevel string

const (
	LevelDebug     LogLevel = "debug"
	LevelInfo      LogLevel = "info"
	LevelNotice    LogLevel = "notice"
	LevelWarning   LogLevel = "warning"
	LevelError     LogLevel = "error"
	LevelCritical  LogLevel = "critical"
	LevelAlert     LogLevel = "alert"
	LevelEmergency LogLevel = "emergency"
)

// errCallFinished is returned by Progress and Log after the result was sent.
var errCallFinished = errors.New("sdk: the call has already returned its result")

// Decode decodes the call's arguments into v strictly: unknown fields, wrong
// types and trailing data are errors.
func (c *Call) Decode(v any) error {
	args := c.Arguments
	if len(args) == 0 {
		args = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid arguments for %s: %w", c.Tool, err)
	}
	// dec.More would miss a stray '}' or ']', which it reads as the end of
	// an enclosing value; only io.EOF means nothing follows.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid arguments for %s: trailing data after the JSON object", c.Tool)
	}
	return nil
}

// Progress reports how far the call has come. total <= 0 means unknown. The
// host forwards it to the client when the client asked for progress.
func (c *Call) Progress(progress, total float64, message string) error {
	p := &toolgatev1.Progress{Progress: progress, Message: message}
	if total > 0 {
		p.Total = &total
	}
	return c.emit(&toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Progress{Progress: p}})
}

// Log sends a log message to the client (MCP notifications/message); data is
// any JSON value. The host drops it when the client did not ask for that level.
func (c *Call) Log(level LogLevel, logger string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sdk: encoding log data: %w", err)
	}
	return c.emit(&toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Log{
		Log: &toolgatev1.LogMessage{Level: string(level), Logger: logger, Data: b},
	}})
}

// emit sends one event; gRPC streams allow one sender at a time, and a
// handler may report from several goroutines.
func (c *Call) emit(ev *toolgatev1.CallToolEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return errCallFinished
	}
	return c.send(ev)
}

// finish sends the result and closes the call to further events.
func (c *Call) finish(r *toolgatev1.CallToolResult) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	return c.send(&toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Result{Result: r}})
}

// Logger returns the plugin's logger tagged with this call's request id and
// tool, so the host's log ties the plugin's lines to the request.
func (c *Call) Logger() *slog.Logger {
	return Logger.With("request_id", c.RequestID, "tool", c.Tool)
}
