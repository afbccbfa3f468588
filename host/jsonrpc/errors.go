package jsonrpc

// JSON-RPC 2.0 and MCP error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603

	// MCP 2026-07-28: -32020..-32099 belong to the specification.
	CodeHeaderMismatch                  = -32020
	CodeMissingRequiredClientCapability = -32021
	CodeUnsupportedProtocolVersion      = -32022

	// Implementation-defined codes (-32000..-32019).

	// CodeBadRequest: the HTTP request breaks a transport rule (a missing
	// session header, say). The same code the official SDKs use.
	CodeBadRequest = -32000
	// CodeSessionNotFound: the Mcp-Session-Id names no live session.
	CodeSessionNotFound = -32001
	// CodeUnauthorized and CodeForbidden accompany HTTP 401 and 403: the
	// WWW-Authenticate header says what to do.
	CodeUnauthorized = -32004
	CodeForbidden    = -32005
	// CodeUnavailable: the plugin behind a tool cannot take the call now;
	// the client may retry.
	CodeUnavailable = -32003
)

// Error is a JSON-RPC error object, and the id of the request it answers.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
	ID      ID     `json:"-"`
}

// NewError returns an error with the given code and message.
func NewError(code int, message string) *Error { return &Error{Code: code, Message: message} }

func (e *Error) Error() string { return e.Message }
