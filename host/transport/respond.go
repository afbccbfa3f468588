package transport

import (
	"net/http"

	"github.com/toolgate/toolgate/host/jsonrpc"
)

// writeJSON sends a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// writeError sends a JSON-RPC error response.
func writeError(w http.ResponseWriter, status int, e *jsonrpc.Error) {
	writeJSON(w, status, jsonrpc.EncodeError(e))
}

// writeResult sends a JSON-RPC success response.
func writeResult(w http.ResponseWriter, id jsonrpc.ID, result any) {
	body, err := jsonrpc.EncodeResult(id, result)
	if err != nil {
		e := jsonrpc.NewError(jsonrpc.CodeInternalError, "encoding the result: "+err.Error())
		e.ID = id
		writeError(w, http.StatusInternalServerError, e)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
