package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// checkParamHeaders enforces that every Mcp-Param-* header of a tools/call
// equals its argument, and that an argument with a value has its header
// (2026-07-28, Custom Headers from Tool Parameters).
func (h *Handler) checkParamHeaders(hdr http.Header, msg *jsonrpc.Message, req *dispatch.Request) *jsonrpc.Error {
	if req.Method != "tools/call" || req.Params.Name == nil {
		return nil
	}
	tool, ok := h.d.Registry().Lookup(*req.Params.Name)
	if !ok || len(tool.HeaderParams) == 0 {
		return nil
	}
	var args map[string]json.RawMessage
	_ = json.Unmarshal(req.Params.Arguments, &args) // wrong arguments are the tool's error, later
	for _, p := range tool.HeaderParams {
		header := "Mcp-Param-" + p.Name
		raw, present := argument(args, p.Path)
		values := hdr.Values(header)
		switch {
		case !present && len(values) == 0:
			continue
		case !present:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s is set but arguments.%s has no value", header, strings.Join(p.Path, ".")))
		case len(values) == 0:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: the %s header is required: arguments.%s has a value", header, strings.Join(p.Path, ".")))
		case len(values) > 1:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s is sent more than once", header))
		}
		v, err := decodeHeaderValue(values[0])
		if err != nil {
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s header: %v", header, err))
		}
		if !paramMatches(p.Type, v, raw) {
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s header %q does not match arguments.%s value %s",
				header, v, strings.Join(p.Path, "."), raw))
		}
	}
	return nil
}

// argument returns the value at path in args; absent and null are the same.
func argument(args map[string]json.RawMessage, path []string) (json.RawMessage, bool) {
	for i, k := range path {
		raw, ok := args[k]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, false
		}
		if i == len(path)-1 {
			return raw, true
		}
		args = nil
		if json.Unmarshal(raw, &args) != nil {
			return nil, false
		}
	}
	return nil, false
}

// paramMatches compares a decoded header value with the argument as the
// client must have converted it: strings as they are, integers as numbers
// (42.0 equals 42), booleans as "true" or "false".
func paramMatches(typ, header string, raw json.RawMessage) bool {
	switch typ {
	case "string":
		var s string
		return json.Unmarshal(raw, &s) == nil && s == header
	case "integer":
		body, ok1 := new(big.Float).SetString(strings.TrimSpace(string(raw)))
		head, ok2 := new(big.Float).SetString(header)
		return ok1 && ok2 && body.Cmp(head) == 0
	case "boolean":
		var b bool
		return json.Unmarshal(raw, &b) == nil && fmt.Sprint(b) == header
	}
	return false
}
