// Package jsonrpc reads and writes JSON-RPC 2.0 messages as MCP carries them
// over HTTP: one message per request body, no batches.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Message is one decoded JSON-RPC message from a client: a request (ID set),
// a notification (no ID) or a response to a server request (Method empty).
type Message struct {
	ID     ID
	Method string
	Params json.RawMessage
	// IsResponse is true for a response (result or error) from the client.
	IsResponse bool
	// Result and Error are a response's outcome: exactly one is set.
	Result json.RawMessage
	Error  *Error
}

// IsNotification tells a notification from a request.
func (m *Message) IsNotification() bool { return !m.IsResponse && m.ID.IsZero() }

// ID is a request id exactly as the client wrote it: a JSON string or
// number, echoed back byte for byte.
type ID struct{ raw json.RawMessage }

// StringID is an id the server mints for its own requests.
func StringID(s string) ID {
	raw, _ := json.Marshal(s)
	return ID{raw: raw}
}

// IsZero reports whether the message carried no id.
func (id ID) IsZero() bool { return len(id.raw) == 0 }

// String is the id as written, for logs.
func (id ID) String() string { return string(id.raw) }

// MarshalJSON writes the id as the client sent it, or null when there was none.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.IsZero() {
		return []byte("null"), nil
	}
	return id.raw, nil
}

// wire is the union of the fields any message may carry. Pointers and raw
// values tell "absent" from "null".
type wire struct {
	JSONRPC *string         `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// Decode parses one message. A body that is not JSON is a parse error; JSON
// that is not a single well-formed message is an invalid request. Either
// error carries the id when one could be read, so the reply can echo it.
func Decode(body []byte) (*Message, *Error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, NewError(CodeInvalidRequest, "empty request body: send one JSON-RPC message")
	}
	switch body[0] {
	case '{':
	case '[':
		if !json.Valid(body) {
			return nil, NewError(CodeParseError, "request body is not valid JSON")
		}
		return nil, NewError(CodeInvalidRequest, "batches are not supported: send one JSON-RPC message per request")
	default:
		if !json.Valid(body) {
			return nil, NewError(CodeParseError, "request body is not valid JSON")
		}
		return nil, NewError(CodeInvalidRequest, "a JSON-RPC message must be a JSON object")
	}
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		if !json.Valid(body) {
			return nil, NewError(CodeParseError, "request body is not valid JSON")
		}
		return nil, NewError(CodeInvalidRequest, fmt.Sprintf("malformed JSON-RPC message: %v", err))
	}
	return w.message()
}

func (w *wire) message() (*Message, *Error) {
	m := &Message{}
	idErr := m.setID(w.ID)
	invalid := func(msg string) (*Message, *Error) {
		e := NewError(CodeInvalidRequest, msg)
		e.ID = m.ID
		return nil, e
	}
	if w.JSONRPC == nil || *w.JSONRPC != "2.0" {
		return invalid(`"jsonrpc" must be "2.0"`)
	}
	if idErr != "" {
		return invalid(idErr)
	}
	if w.Method == nil {
		if w.Result == nil && w.Error == nil {
			return invalid(`a message needs "method" (request or notification) or "result"/"error" (response)`)
		}
		if m.ID.IsZero() {
			return invalid(`a response needs an "id"`)
		}
		m.IsResponse = true
		if w.Result != nil && w.Error != nil {
			return invalid(`a response carries "result" or "error", not both`)
		}
		m.Result = w.Result
		if w.Error != nil {
			m.Error = &Error{}
			if err := json.Unmarshal(w.Error, m.Error); err != nil {
				return invalid(`"error" must be an object with "code" and "message"`)
			}
		}
		return m, nil
	}
	if w.Result != nil || w.Error != nil {
		return invalid(`a request cannot carry "result" or "error"`)
	}
	if *w.Method == "" {
		return invalid(`"method" must not be empty`)
	}
	m.Method = *w.Method
	if len(w.Params) > 0 && !bytes.Equal(w.Params, []byte("null")) {
		if c := w.Params[0]; c != '{' {
			return invalid(`"params" must be an object`)
		}
		m.Params = w.Params
	}
	return m, nil
}

// setID records a string or number id; null and other types are refused
// (MCP forbids null ids).
func (m *Message) setID(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		m.ID = ID{raw: raw}
		return ""
	case c == '-' || (c >= '0' && c <= '9'):
		m.ID = ID{raw: raw}
		return ""
	case c == 'n':
		return `"id" must be a string or a number, not null`
	default:
		return `"id" must be a string or a number`
	}
}
