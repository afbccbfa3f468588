package registry

import (
	"encoding/json"
	"fmt"
	"strings"
)

// checkHeaderParams enforces the 2026-07-28 rules for x-mcp-header, the
// annotation that has a tool argument mirrored into an Mcp-Param-{name}
// header (Streamable HTTP transport, Schema Extension): a non-empty HTTP
// token, unique regardless of case, on a string, integer or boolean
// property reachable from the root through "properties" alone. Clients must
// drop a tool that breaks them, so the host refuses it at start instead of
// publishing it.
func checkHeaderParams(inputSchema []byte) error {
	var root any
	if err := json.Unmarshal(inputSchema, &root); err != nil {
		return err
	}
	seen := map[string]string{} // lowercased name -> where it was first used
	return walkHeaders(root, "", true, seen)
}

// walkHeaders checks node, found at pointer; static says whether the path
// to it is a chain of "properties" keys.
func walkHeaders(node any, pointer string, static bool, seen map[string]string) error {
	switch n := node.(type) {
	case []any:
		for i, child := range n {
			if err := walkHeaders(child, fmt.Sprintf("%s/%d", pointer, i), false, seen); err != nil {
				return err
			}
		}
	case map[string]any:
		if h, ok := n["x-mcp-header"]; ok {
			if err := checkHeader(h, n["type"], pointer, static, seen); err != nil {
				return err
			}
		}
		for key, child := range n {
			if key == "properties" {
				if err := walkProperties(child, pointer+"/properties", static, seen); err != nil {
					return err
				}
				continue
			}
			if err := walkHeaders(child, pointer+"/"+key, false, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkProperties checks a "properties" object: each value is a property's
// schema, statically reachable when its parent is.
func walkProperties(node any, pointer string, static bool, seen map[string]string) error {
	props, ok := node.(map[string]any)
	if !ok {
		return walkHeaders(node, pointer, false, seen)
	}
	for name, schema := range props {
		if err := walkHeaders(schema, pointer+"/"+name, static, seen); err != nil {
			return err
		}
	}
	return nil
}

func checkHeader(h, typ any, pointer string, static bool, seen map[string]string) error {
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
	if first, dup := seen[strings.ToLower(name)]; dup {
		return fmt.Errorf("inputSchema %s: x-mcp-header %q is already used at %s (names are compared regardless of case)", pointer, name, first)
	}
	seen[strings.ToLower(name)] = pointer
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
