package config

import "testing"

func TestParent(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{`tools."a.b[0]".scopes[1]`, `tools."a.b[0]".scopes`},
		{`tools."a.b[0]".scopes`, `tools."a.b[0]"`},
		{`tools."a.b[0]"`, `tools`},
		{`tools."say \"hi\".x".scopes`, `tools."say \"hi\".x"`},
		{`plugins[1].env.A`, `plugins[1].env`},
		{`plugins[1]`, `plugins`},
		{`plugins`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := parent(tt.key); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChild(t *testing.T) {
	tests := []struct {
		path, name string
		want       string
	}{
		{"", "server", "server"},
		{"server", "listen", "server.listen"},
		{"tools", "read_file", "tools.read_file"},
		{"tools", "Read.File", `tools."Read.File"`},
		{"plugins[0].env", "1X", "plugins[0].env.1X"},
		{"plugins[0].env", "", `plugins[0].env.""`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := child(tt.path, tt.name); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
