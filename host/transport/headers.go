package transport

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Header names of the Streamable HTTP transport.
const (
	headerSessionID       = "Mcp-Session-Id"
	headerProtocolVersion = "Mcp-Protocol-Version"
	headerMethod          = "Mcp-Method"
	headerName            = "Mcp-Name"
)

// decodeHeaderValue reads an Mcp-Name or Mcp-Param-* value: plain visible
// ASCII (with inner spaces and tabs), or the `=?base64?...?=` form that
// carries any UTF-8 string (2026-07-28, Value Encoding).
func decodeHeaderValue(v string) (string, error) {
	const prefix, suffix = "=?base64?", "?="
	if strings.HasPrefix(v, prefix) && strings.HasSuffix(v, suffix) && len(v) >= len(prefix)+len(suffix) {
		b, err := base64.StdEncoding.DecodeString(v[len(prefix) : len(v)-len(suffix)])
		if err != nil {
			return "", fmt.Errorf("invalid base64 in %q", v)
		}
		return string(b), nil
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return "", fmt.Errorf("invalid character 0x%02x", c)
		}
	}
	return v, nil
}

// acceptsMCP reports whether an Accept header admits both JSON and SSE, as
// every MCP POST must.
func acceptsMCP(accept []string) bool {
	var json, sse bool
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case "*/*":
				json, sse = true, true
			case "application/json", "application/*":
				json = true
			case "text/event-stream", "text/*":
				sse = true
			}
		}
	}
	return json && sse
}

// isJSONContent reports whether a Content-Type is application/json.
func isJSONContent(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/json"
}
