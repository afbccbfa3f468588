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
	// ClientCapabilities are the capabilities the client declared in the
	// session's initialize (session era; the transport sets them). A
	// 2026-07-28 request carries its own in _meta.
	ClientCapabilities json.RawMessage
	// LogLevel is the least severe log level the client wants as
	// notifications/message for this request ("" for none): the session's
	// logging/setLevel, or the 2026-07-28 _meta logLevel.
	LogLevel string
}

// Params holds every params field any supported method reads; one decode
// serves the transport's header checks and the handler.
type Params struct {
	Meta Meta `json:"_meta"`

	// tools/call, prompts/get
	Name      *string         `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	// tools/call retry (2026-07-28 multi round-trip requests)
	InputResponses json.RawMessage `json:"inputResponses"`
	RequestState   *string         `json:"requestState"`
	// tools/list, prompts/list, resources/list, resources/templates/list
	Cursor *string `json:"cursor"`
	// resources/read, resources/subscribe, resources/unsubscribe
	URI *string `json:"uri"`
	// completion/complete
	Ref      *CompleteRef      `json:"ref"`
	Argument *CompleteArgument `json:"argument"`
	Context  *CompleteContext  `json:"context"`
	// notifications/cancelled: the id of the request to cancel, as written
	RequestID json.RawMessage `json:"requestId"`
	// logging/setLevel
	Level *string `json:"level"`
	// subscriptions/listen
	Notifications *ListenFilter `json:"notifications"`
	// initialize
	ProtocolVersion *string         `json:"protocolVersion"`
	Capabilities    json.RawMessage `json:"capabilities"`
	ClientInfo      json.RawMessage `json:"clientInfo"`
}

// CompleteRef is what a completion/complete completes: a prompt
// (ref/prompt, Name) or a resource template (ref/resource, URI).
type CompleteRef struct {
	Type string `json:"type"`
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// CompleteArgument is the argument being completed and its value so far.
type CompleteArgument struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// CompleteContext holds the arguments the user already chose.
type CompleteContext struct {
	Arguments map[string]string `json:"arguments"`
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
