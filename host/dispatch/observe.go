package dispatch

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
)

// observer records every handled request: the OpenTelemetry MCP semantic
// conventions' operation duration, in Prometheus form, and one log line.
// Label values come from configuration and fixed lists, never from request
// input, so a client cannot grow the number of series.
type observer struct {
	duration *prometheus.HistogramVec
	log      *slog.Logger
}

// methods are the method names used as label values; anything else is
// counted as "other".
var methods = map[string]bool{
	"initialize": true, "ping": true, "server/discover": true, "tools/list": true, "tools/call": true,
	"prompts/list": true, "prompts/get": true, "resources/list": true, "resources/templates/list": true,
	"resources/read": true, "completion/complete": true,
	"logging/setLevel": true, "resources/subscribe": true, "resources/unsubscribe": true, "subscriptions/listen": true,
}

func newObserver(reg prometheus.Registerer, log *slog.Logger) *observer {
	o := &observer{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mcp_server_operation_duration_seconds",
			Help: "Time to handle an MCP request, from the decoded message to the result (OpenTelemetry mcp.server.operation.duration).",
			// The convention's buckets, with finer ones below 10 ms where
			// a local tool call lands.
			Buckets:                         []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"mcp_method_name", "gen_ai_tool_name", "error_type", "mcp_protocol_version"}),
		log: log,
	}
	reg.MustRegister(o.duration)
	return o
}

// observe records one request. tool is nil unless the request named a
// configured tool.
func (o *observer) observe(r *Request, tool *registry.Tool, result any, jerr *jsonrpc.Error, took time.Duration) {
	method := r.Method
	if !methods[method] {
		method = "other"
	}
	version := r.ProtocolVersion
	if !IsModernVersion(version) && !IsSessionVersion(version) {
		version = "other"
	}
	toolName, errType := "", errorType(result, jerr)
	if tool != nil {
		toolName = tool.Name
	}
	o.duration.WithLabelValues(method, toolName, errType, version).Observe(took.Seconds())

	if !o.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", r.RequestID),
		slog.String("method", r.Method),
		slog.String("protocol_version", r.ProtocolVersion),
		slog.Duration("took", took),
	}
	if tool != nil {
		attrs = append(attrs, slog.String("tool", tool.Name), slog.String("plugin", tool.Plugin))
		if tool.LogArguments {
			attrs = append(attrs, slog.String("arguments", string(r.Params.Arguments)))
		}
	}
	if r.Caller != nil {
		attrs = append(attrs, slog.String("subject", r.Caller.Subject), slog.String("client_id", r.Caller.ClientID))
	}
	if errType != "" {
		attrs = append(attrs, slog.String("error_type", errType))
	}
	o.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}

// errorType is the convention's error.type: the JSON-RPC error code, or
// "tool_error" for a tool result with isError set; "" on success.
func errorType(result any, jerr *jsonrpc.Error) string {
	if jerr != nil {
		return strconv.Itoa(jerr.Code)
	}
	if r, ok := result.(*callResult); ok && r.IsError {
		return "tool_error"
	}
	return ""
}
