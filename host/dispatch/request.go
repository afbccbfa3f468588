package dispatch

import (
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// Keys of the 2026-07-28 per-request _meta fields.
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaClientInfo         = "io.modelcontextprotocol/clientInfo"
	metaLogLevel           = "io.modelcontextprotocol/logLevel"
	metaServerInfo         = "io.modelcontextprotocol/serverInfo"
)

// Request is one decoded MCP request or notification.
type Request struct {
	Method string
	Params Params
	// Modern is true for a 2026-07-28 request (per-request _meta), false
	// for the session era.
	Modern bool
	// ProtocolVersion is the version the request speaks: the _meta
	// version, or the session's negotiated version.
	ProtocolVersion string
	// RequestID is the host's id for this request, for logs and plugins.
	RequestID string
	// Caller is who makes the request, as authentication established it;
	// nil when authorization is off.
	Caller *verify.Identity
	// Peer reaches the client while the request runs; nil when nothing can.
	Peer Peer
	// LogLevel is the least severe log level the client wants as
	// notifications/message for this request ("" for none): the session's
	// logging/setLevel, or the 2026-07-28 _meta logLevel.
	LogLevel string
}

// Params holds every params field any supported method reads; one decode
// serves the transport's header checks and the handler.
type Params struct {
	Meta Meta `json:"_meta"`

	// tools/call
	Name      *string         `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	// tools/list
	Cursor *string `json:"cursor"`
	// notifications/cancelled: the id of the request to cancel, as written
	RequestID json.RawMessage `json:"requestId"`
	// logging/setLevel
	Level *string `json:"level"`
	// resources/subscribe, resources/unsubscribe
	URI *string `json:"uri"`
	// subscriptions/listen
	Notifications *ListenFilter `json:"notifications"`
	// initialize
	ProtocolVersion *string         `json:"protocolVersion"`
	Capabilities    json.RawMessage `json:"capabilities"`
	ClientInfo      json.RawMessage `json:"clientInfo"`
}

// Meta is the request's _meta object: the fields Toolgate reads.
type Meta struct {
	ProgressToken      json.RawMessage `json:"progressToken"`
	ProtocolVersion    *string         `json:"io.modelcontextprotocol/protocolVersion"`
	ClientCapabilities json.RawMessage `json:"io.modelcontextprotocol/clientCapabilities"`
	ClientInfo         json.RawMessage `json:"io.modelcontextprotocol/clientInfo"`
	LogLevel           *string         `json:"io.modelcontextprotocol/logLevel"`
}

// DecodeRequest builds a Request from a decoded message. Params of the wrong
// shape are an invalid-params error carrying the message's id.
func DecodeRequest(m *jsonrpc.Message) (*Request, *jsonrpc.Error) {
	r := &Request{Method: m.Method}
	if len(m.Params) > 0 {
		if err := json.Unmarshal(m.Params, &r.Params); err != nil {
			e := jsonrpc.NewError(jsonrpc.CodeInvalidParams, fmt.Sprintf("invalid params for %s: %v", m.Method, err))
			e.ID = m.ID
			return nil, e
		}
	}
	r.Modern = r.Params.Meta.ProtocolVersion != nil
	if r.Modern {
		r.ProtocolVersion = *r.Params.Meta.ProtocolVersion
	}
	return r, nil
}

func invalidParams(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.NewError(jsonrpc.CodeInvalidParams, fmt.Sprintf(format, args...))
}
