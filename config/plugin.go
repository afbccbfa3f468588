package config

import (
	"encoding/json"
	"path/filepath"
)

// BinaryPath is the path of p's binary: p.Path as is if it is absolute,
// else resolved against dir, the config file's directory, so that the
// server finds its plugins wherever it is started from.
func (p Plugin) BinaryPath(dir string) string {
	return resolve(dir, p.Path)
}

// resolve is path p as is if it is absolute, else resolved against dir.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// PluginPath is the absolute path of p's binary, p.BinaryPath(c.Dir).
func (c *Config) PluginPath(p Plugin) string {
	return p.BinaryPath(c.Dir)
}

// ConfigJSON is p's [plugins.config] table as the JSON object handed to
// the plugin at start: "{}" when there is none. TOML dates and times
// become strings (RFC 3339 and its partial forms). A Config that Load
// returned always encodes; load refuses a table that does not, as one
// holding nan or inf.
func (p Plugin) ConfigJSON() ([]byte, error) {
	if p.Config == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(p.Config)
}
