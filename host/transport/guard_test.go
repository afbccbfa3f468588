package transport

import "testing"

func TestGuardOrigin(t *testing.T) {
	loop := newGuard([]string{"https://app.example.com"}, nil, "", true)
	public := newGuard([]string{"https://app.example.com"}, []string{"mcp.example.com"}, "https://mcp.example.com/mcp", false)
	tests := []struct {
		g      *guard
		origin string
		want   bool
	}{
		{loop, "", true},
		{loop, "http://localhost:3000", true},
		{loop, "http://127.0.0.1:6274", true},
		{loop, "http://[::1]:8080", true},
		{loop, "https://app.example.com", true},
		{loop, "HTTPS://APP.EXAMPLE.COM", true},
		{loop, "http://localhost.evil.com", false},
		{loop, "http://evil.example.com", false},
		{loop, "https://app.example.com.evil.com", false},
		{loop, "null", false},
		{loop, "file://", false},
		{loop, "http://localhost/path", false},
		{loop, "http://user@localhost", false},
		{public, "http://localhost:3000", false}, // a public server trusts no local page
		{public, "https://mcp.example.com", true},
		{public, "https://app.example.com", true},
	}
	for _, tt := range tests {
		if got := tt.g.allowOrigin(tt.origin); got != tt.want {
			t.Errorf("allowOrigin(%q) loopback=%v = %v, want %v", tt.origin, tt.g.loopback, got, tt.want)
		}
	}
}

func TestGuardHost(t *testing.T) {
	loop := newGuard(nil, nil, "", true)
	public := newGuard(nil, []string{"Internal.Example:9000"}, "https://mcp.example.com/mcp", false)
	tests := []struct {
		g    *guard
		host string
		want bool
	}{
		{loop, "127.0.0.1:9000", true},
		{loop, "localhost:9000", true},
		{loop, "[::1]:9000", true},
		{loop, "localhost", true},
		{loop, "evil.example.com", false},
		{loop, "localhost.evil.com:9000", false},
		{loop, "", false},
		{public, "mcp.example.com", true},
		{public, "internal.example:9000", true},
		{public, "127.0.0.1:9000", false},
	}
	for _, tt := range tests {
		if got := tt.g.allowHost(tt.host); got != tt.want {
			t.Errorf("allowHost(%q) loopback=%v = %v, want %v", tt.host, tt.g.loopback, got, tt.want)
		}
	}
}
