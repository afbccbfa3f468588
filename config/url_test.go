package config

import "testing"

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr string
		want string // the error, "" for none
	}{
		{"127.0.0.1:9000", ""},
		{"localhost:9000", ""},
		{"[::1]:9000", ""},
		{"[fe80::1%eth0]:9000", ""},
		{":9000", ""},
		{"127.0.0.1:0", ""},
		{"my_service.internal:65535", ""},
		{"localhost", `"localhost" is not host:port`},
		{"::1:9000", `"::1:9000" is not host:port`},
		{"localhost:65536", `"localhost:65536" is not host:port: the port must be a number from 0 to 65535`},
		{"localhost:-1", `"localhost:-1" is not host:port: the port must be a number from 0 to 65535`},
		{"localhost:", `"localhost:" is not host:port: the port must be a number from 0 to 65535`},
		{"bad host:80", `"bad host:80" is not host:port: "bad host" is not a host name or IP address`},
		{"-bad.example:80", `"-bad.example:80" is not host:port: "-bad.example" is not a host name or IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := ""
			if err := checkListen(tt.addr); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestURLForms covers the URL-shaped values: what each accepts, what it
// normalises it to, and why it refuses the rest.
func TestURLForms(t *testing.T) {
	tests := []struct {
		form  string
		parse func(string) (string, error)
		in    string
		want  string // the normalised value, or the error
	}{
		{"public_url", publicURL, "https://mcp.example.com/mcp", "https://mcp.example.com/mcp"},
		{"public_url", publicURL, "HTTPS://MCP.Example.COM/Mcp", "https://mcp.example.com/Mcp"},
		{"public_url", publicURL, "https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"},
		{"public_url", publicURL, "http://mcp.example.com:80", "http://mcp.example.com"},
		{"public_url", publicURL, "http://mcp.example.com:443/", "http://mcp.example.com:443/"},
		{"public_url", publicURL, "http://[::1]:9000/mcp", "http://[::1]:9000/mcp"},
		{"public_url", publicURL, "/mcp", `"/mcp" is not an absolute http(s) URL`},
		{"public_url", publicURL, "mcp.example.com/mcp", `"mcp.example.com/mcp" is not an absolute http(s) URL`},
		{"public_url", publicURL, "https:///mcp", `"https:///mcp" is not an absolute http(s) URL`},
		{"public_url", publicURL, "ws://mcp.example.com/mcp", `"ws://mcp.example.com/mcp" is not an absolute http(s) URL`},
		{"public_url", publicURL, "https://mcp.example.com/mcp?", `"https://mcp.example.com/mcp?" is not an absolute http(s) URL: it has a query`},
		{"public_url", publicURL, "https://mcp.example.com/mcp#", `"https://mcp.example.com/mcp#" is not an absolute http(s) URL: it has a fragment`},
		{"public_url", publicURL, "https://u:p@mcp.example.com/", `"https://u:p@mcp.example.com/" is not an absolute http(s) URL: it holds a user name`},
		{"public_url", publicURL, "https://mcp.example.com:/", `"https://mcp.example.com:/" is not an absolute http(s) URL: the port must be a number from 1 to 65535`},
		{"public_url", publicURL, "https://mcp.example.com:70000/", `"https://mcp.example.com:70000/" is not an absolute http(s) URL: the port must be a number from 1 to 65535`},
		{"public_url", publicURL, "https://mcp_.example.com!/", `"https://mcp_.example.com!/" is not an absolute http(s) URL: "mcp_.example.com!" is not a host name or IP address`},
		{"origin", origin, "https://App.Example.com", "https://app.example.com"},
		{"origin", origin, "http://localhost:3000", "http://localhost:3000"},
		{"origin", origin, "https://a.example:443", "https://a.example"},
		{"origin", origin, "chrome-extension://abcdefghijklmnop", `"chrome-extension://abcdefghijklmnop" is not an origin (http[s]://host[:port])`},
		{"origin", origin, "https://a.example/", `"https://a.example/" is not an origin (http[s]://host[:port]): it has a path`},
		{"origin", origin, "https://a.example?x", `"https://a.example?x" is not an origin (http[s]://host[:port]): it has a query`},
		{"origin", origin, "null", `"null" is not an origin (http[s]://host[:port])`},
		{"origin", origin, "a.example", `"a.example" is not an origin (http[s]://host[:port])`},
		{"allowed_hosts", hostHeader, "MCP.example.com", "mcp.example.com"},
		{"allowed_hosts", hostHeader, "mcp.example.com:80", "mcp.example.com:80"},
		{"allowed_hosts", hostHeader, "[::1]:9000", "[::1]:9000"},
		{"allowed_hosts", hostHeader, "::1", `"::1" is not host[:port]`},
		{"allowed_hosts", hostHeader, "https://a.example", `"https://a.example" is not host[:port]`},
		{"allowed_hosts", hostHeader, "user@a.example", `"user@a.example" is not host[:port]`},
		{"allowed_hosts", hostHeader, "", `"" is not host[:port]`},
	}
	for _, tt := range tests {
		t.Run(tt.form+"/"+tt.in, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
