package jsonrpc

import "encoding/json"

type response struct {
	JSONRPC string `json:"jsonrpc"`
	ID      ID     `json:"id"`
	Result  any    `json:"result,omitempty"`
	Error   *Error `json:"error,omitempty"`
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      ID     `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

type notification struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

// EncodeResult encodes a success response.
func EncodeResult(id ID, result any) ([]byte, error) {
	return json.Marshal(response{JSONRPC: "2.0", ID: id, Result: result})
}

// EncodeError encodes an error response. An error without an id answers
// with "id": null, as JSON-RPC requires when the id could not be read.
func EncodeError(e *Error) []byte {
	b, err := json.Marshal(response{JSONRPC: "2.0", ID: e.ID, Error: e})
	if err != nil {
		// Only Data can fail to encode; drop it rather than the error.
		b, _ = json.Marshal(response{JSONRPC: "2.0", ID: e.ID, Error: &Error{Code: e.Code, Message: e.Message}})
	}
	return b
}

// EncodeNotification encodes a server notification.
func EncodeNotification(method string, params any) ([]byte, error) {
	return json.Marshal(notification{JSONRPC: "2.0", Method: method, Params: params})
}

// EncodeRequest encodes a server-to-client request.
func EncodeRequest(id ID, method string, params any) ([]byte, error) {
	return json.Marshal(request{JSONRPC: "2.0", ID: id, Method: method, Params: params})
}
