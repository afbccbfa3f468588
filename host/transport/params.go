package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"

	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
)

// headerParam is a tool parameter mirrored into an Mcp-Param-{name} header
// (2026-07-28, x-mcp-header): where it sits in the arguments and its type.
type headerParam struct {
	name string
	path []string
	typ  string // string, integer or boolean
}

// headerParams finds a tool's x-mcp-header parameters: properties reachable
// from the schema root through "properties" alone, of a primitive type other
// than number. Annotations elsewhere are not honoured.
func headerParams(definition json.RawMessage) []headerParam {
	var def struct {
		InputSchema json.RawMessage `json:"inputSchema"`
	}
	if json.Unmarshal(definition, &def) != nil {
		return nil
	}
	var out []headerParam
	var walk func(schema json.RawMessage, path []string)
	walk = func(schema json.RawMessage, path []string) {
		var s struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Header     *string                    `json:"x-mcp-header"`
			Type       any                        `json:"type"`
		}
		if json.Unmarshal(schema, &s) != nil {
			return
		}
		if s.Header != nil && len(path) > 0 {
			if t, ok := s.Type.(string); ok && (t == "string" || t == "integer" || t == "boolean") && *s.Header != "" {
				out = append(out, headerParam{name: *s.Header, path: path, typ: t})
			}
		}
		for name, sub := range s.Properties {
			walk(sub, append(path[:len(path):len(path)], name))
		}
	}
	walk(def.InputSchema, nil)
	return out
}

// paramCache holds the header parameters of the current catalog's tools,
// worked out once per catalog so a call does not parse schemas.
type paramCache struct {
	mu  sync.Mutex
	reg *registry.Registry
	by  map[*registry.Tool][]headerParam
}

func (c *paramCache) params(reg *registry.Registry, t *registry.Tool) []headerParam {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reg != reg {
		c.reg, c.by = reg, map[*registry.Tool][]headerParam{}
	}
	ps, ok := c.by[t]
	if !ok {
		ps = headerParams(t.Definition)
		c.by[t] = ps
	}
	return ps
}

// checkParamHeaders enforces that every Mcp-Param-* header of a tools/call
// equals its argument, and that an argument with a value has its header
// (2026-07-28, Custom Headers from Tool Parameters).
func (h *Handler) checkParamHeaders(hdr http.Header, msg *jsonrpc.Message, req *dispatch.Request) *jsonrpc.Error {
	if req.Method != "tools/call" || req.Params.Name == nil {
		return nil
	}
	reg := h.d.Registry()
	tool, ok := reg.Lookup(*req.Params.Name)
	if !ok {
		return nil
	}
	ps := h.params.params(reg, tool)
	if len(ps) == 0 {
		return nil
	}
	var args map[string]json.RawMessage
	_ = json.Unmarshal(req.Params.Arguments, &args) // wrong arguments are the tool's error, later
	for _, p := range ps {
		header := "Mcp-Param-" + p.name
		raw, present := argument(args, p.path)
		values := hdr.Values(header)
		switch {
		case !present && len(values) == 0:
			continue
		case !present:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s is set but arguments.%s has no value", header, strings.Join(p.path, ".")))
		case len(values) == 0:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: the %s header is required: arguments.%s has a value", header, strings.Join(p.path, ".")))
		case len(values) > 1:
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s is sent more than once", header))
		}
		v, err := decodeHeaderValue(values[0])
		if err != nil {
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s header: %v", header, err))
		}
		if !paramMatches(p.typ, v, raw) {
			return withID(msg, jsonrpc.CodeHeaderMismatch, fmt.Sprintf("Header mismatch: %s header %q does not match arguments.%s value %s",
				header, v, strings.Join(p.path, "."), raw))
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
