package config

// defaults are the values of keys the file and the environment leave
// unset, written as the file would write them. They fill in keys that are
// absent, not values that are zero: read_timeout = "0" means no timeout
// and stays so.
var defaults = map[string]any{
	"server": map[string]any{
		"listen":         "127.0.0.1:9000",
		"path":           "/mcp",
		"max_body_bytes": int64(4 << 20),
		// A slow client must not hold a connection open by trickling
		// its headers in.
		"read_header_timeout": "5s",
		"read_timeout":        "30s",
		// No write timeout: tool calls and SSE streams may run long, and
		// call_timeout already bounds each call.
		"write_timeout":        "0s",
		"idle_timeout":         "120s",
		"call_timeout":         "60s",
		"session_idle_timeout": "30m",
		"max_sessions":         int64(10000),
		"page_size":            int64(100),
	},
	"log": map[string]any{
		"level":  "info",
		"format": "text",
	},
}

// pluginDefaults fill in each [[plugins]] entry.
var pluginDefaults = map[string]any{
	"start_timeout": "10s",
}

// fill sets in m every key of defaults that m lacks, descending into
// tables. It runs after the conformer, which removed every value of the wrong
// type, so such a key gets its default too.
func fill(m, defaults map[string]any) {
	for k, d := range defaults {
		sub, isTable := d.(map[string]any)
		v, ok := m[k]
		switch {
		case isTable:
			if !ok {
				v = map[string]any{}
				m[k] = v
			}
			fill(v.(map[string]any), sub)
		case !ok:
			m[k] = d
		}
	}
}

// fillDefaults completes a conformed configuration map.
func fillDefaults(raw map[string]any) {
	fill(raw, defaults)
	plugins, _ := raw["plugins"].([]any)
	for _, p := range plugins {
		fill(p.(map[string]any), pluginDefaults)
	}
}
