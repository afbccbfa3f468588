package registry

import (
	"encoding/json"
	"fmt"
	"strings"
)

// HeaderParam is a tool argument that 2026-07-28 clients mirror into an
// Mcp-Param-{Name} header (x-mcp-header): where it sits in the arguments
// (the chain of property names) and its type: string, integer or boolean.
type HeaderParam struct {
	Name string
	Path []string
	Type string
}

// headerParams finds a tool's x-mcp-header parameters and enforces the
// 2026-07-28 rules for them (Streamable HTTP transport, Schema Extension):
// a non-empty HTTP token, unique regardless of case, on a string, integer
// or boolean property reachable from the root through "properties" alone.
// Clients must drop a tool that breaks them, so the host refuses it at
// start instead of publishing it.
func headerParams(inputSchema []byte) ([]HeaderParam, error) {
	var root any
	if err := json.Unmarshal(inputSchema, &root); err != nil {
		return nil, err
	}
	w := &headerWalk{seen: map[string]string{}}
	if err := w.walk(root, "", nil, true); err != nil {
		return nil, err
	}
	return w.found, nil
}

// headerWalk is one pass over an input schema.
type headerWalk struct {
	seen  map[string]string // lowercased name -> where it was first used
	found []HeaderParam
}

// walk checks node, found at pointer; path is the chain of property names
// that leads to it, meaningful while static says the chain is nothing but
// "properties" keys.
func (w *headerWalk) walk(node any, pointer string, path []string, static bool) error {
	switch n := node.(type) {
	case []any:
		for i, child := range n {
			if err := w.walk(child, fmt.Sprintf("%s/%d", pointer, i), nil, false); err != nil {
				return err
			}
		}
	case map[string]any:
		if h, ok := n["x-mcp-header"]; ok {
			if err := w.check(h, n["type"], pointer, path, static); err != nil {
				return err
			}
		}
		for key, child := range n {
			if err := w.walkKey(key, child, pointer, path, static); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkKey walks one member of a schema object: the values of a
// "properties" object are property schemas, statically reachable when
// their parent is; anything else is not.
func (w *headerWalk) walkKey(key string, child any, pointer string, path []string, static bool) error {
	props, ok := child.(map[string]any)
	if key != "properties" || !ok {
		return w.walk(child, pointer+"/"+key, nil, false)
	}
	for name, schema := range props {
		if err := w.walk(schema, pointer+"/properties/"+name, append(path[:len(path):len(path)], name), static); err != nil {
			return err
		}
	}
	return nil
}

func (w *headerWalk) check(h, typ any, pointer string, path []string, static bool) error {
	name, ok := h.(string)
	switch {
	case !ok || name == "":
		return fmt.Errorf("inputSchema %s: x-mcp-header must be a non-empty string", pointer)
	case !isToken(name):
		return fmt.Errorf("inputSchema %s: x-mcp-header %q is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~ only)", pointer, name)
	case !static || pointer == "":
		return fmt.Errorf("inputSchema %s: x-mcp-header %q must be on a property reached from the root through properties alone", pointer, name)
	}
	if t, _ := typ.(string); t != "string" && t != "integer" && t != "boolean" {
		return fmt.Errorf("inputSchema %s: x-mcp-header %q needs a property of type string, integer or boolean, not %v", pointer, name, typ)
	}
	if first, dup := w.seen[strings.ToLower(name)]; dup {
		return fmt.Errorf("inputSchema %s: x-mcp-header %q is already used at %s (names are compared regardless of case)", pointer, name, first)
	}
	w.seen[strings.ToLower(name)] = pointer
	w.found = append(w.found, HeaderParam{Name: name, Path: path, Type: typ.(string)})
	return nil
}

// isToken reports whether s is an RFC 9110 token: 1*tchar.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return s != ""
}
