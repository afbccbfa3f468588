package host

import (
	"slices"
	"testing"
	"time"

	"github.com/toolgate/toolgate/config"
)

func TestFixedKeys(t *testing.T) {
	base := func() *config.Config {
		return &config.Config{
			Server: config.Server{Listen: "127.0.0.1:41234", Path: "/mcp", PageSize: 100, CallTimeout: time.Minute, DrainTimeout: 30 * time.Second, Watch: true},
			Log:    config.Log{Level: "info", Format: "json"},
			Auth:   config.Auth{Enabled: true, ToolsList: "filter", ClockSkew: 30 * time.Second},
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want []string
	}{
		{"nothing", func(*config.Config) {}, nil},
		{"any free port on the bound host", func(c *config.Config) { c.Server.Listen = "127.0.0.1:0" }, nil},
		{"live keys", func(c *config.Config) {
			c.Server.CallTimeout, c.Server.DrainTimeout = time.Second, time.Second
			c.Auth.ClockSkew = time.Minute
			c.Plugins = []config.Plugin{{Name: "new"}}
			c.Tools = map[string]config.Tool{"echo": {MaxConcurrent: 1}}
		}, nil},
		{"another port", func(c *config.Config) { c.Server.Listen = "127.0.0.1:9000" }, []string{"server.listen"}},
		{"another host, any port", func(c *config.Config) { c.Server.Listen = "0.0.0.0:0" }, []string{"server.listen"}},
		{"restart keys", func(c *config.Config) {
			c.Server.Path, c.Server.PageSize, c.Server.Watch = "/api", 5, false
			c.Log.Level = "debug"
			c.Metrics.Enabled = true
			c.Audit.File = "x.log"
			c.Auth.Enabled, c.Auth.ToolsList = false, "mark"
		}, []string{"server.path", "server.page_size", "server.watch", "log.level", "metrics.enabled", "audit.file", "auth.enabled", "auth.tools_list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.edit(cfg)
			if got := fixedKeys(base(), cfg); !slices.Equal(got, tc.want) {
				t.Errorf("fixedKeys = %q, want %q", got, tc.want)
			}
		})
	}
}
