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
		// Enough for a long call's progress and log messages while its
		// client reconnects; a session holds at most this many events.
		"replay_events": int64(256),
		"page_size":     int64(100),
		// Long enough for most calls to end; a stuck one does not hold
		// a restart up for good.
		"drain_timeout": "30s",
		// Long enough for a person to answer a form, short enough to
		// bound the replay of a state.
		"request_state_ttl":      "10m",
		"request_state_key_file": "",
		"watch":                  true,
	},
	"log": map[string]any{
		"level":  "info",
		"format": "text",
	},
	// No default for challenge_scopes (every scope a tool needs) or
	// default_tool_scopes (none): an absent key stays nil.
	"auth": map[string]any{
		// A file that says nothing of auth fails closed.
		"enabled":         true,
		"tools_list":      "filter",
		"clock_skew":      "30s",
		"max_token_bytes": int64(8192),
		"forward_claims":  []string{"email", "name", "preferred_username"},
		"resource_name":   "Toolgate",
		"local": map[string]any{
			"enabled":   false,
			"key_file":  "data/signing-key.pem",
			"token_ttl": "1h",
		},
		// Off unless the file turns it on, as the local issuer it needs.
		"server": map[string]any{
			"enabled":                   false,
			"store_file":                "data/authserver.db",
			"code_ttl":                  "1m",
			"refresh_token_ttl":         "720h",
			"dynamic_registration":      true,
			"client_metadata_documents": true,
			"dev_http_client_ids":       false,
		},
	},
	"metrics": map[string]any{
		"enabled":          true,
		"listen":           "",
		"bearer_token_env": "",
	},
	// On by default, and refusing calls it cannot record: nothing
	// happens unrecorded unless the file says so.
	"audit": map[string]any{
		"enabled":   true,
		"file":      "data/audit.log",
		"max_bytes": int64(100 << 20),
		"max_files": int64(10),
		"buffer":    int64(4096),
		"on_full":   "refuse",
	},
}

// pluginDefaults fill in each [[plugins]] entry. A [tools.NAME] table has
// no defaults: max_concurrent and max_queue absent are 0, no limit of the
// tool's own.
var pluginDefaults = map[string]any{
	"start_timeout":    "10s",
	"max_concurrent":   int64(64),
	"max_queue":        int64(256),
	"max_result_bytes": int64(16 << 20),
	"memory_limit":     int64(0),
	"cpu_limit":        "0s",
	"ping_interval":    "5s",
	"when_parked":      "unavailable",
}

// issuerDefaults fill in each [[auth.issuers]] entry. No default for
// audiences: nil means the canonical URL (see Config.Audiences).
var issuerDefaults = map[string]any{
	"algorithms":  []string{"RS256", "ES256"},
	"scope_claim": "scope",
	"key_refresh": "15m",
}

// introspectionDefaults fill in an issuer's introspection table when it
// has a url.
var introspectionDefaults = map[string]any{
	"cache_ttl": "60s",
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
			// A list is copied, so that nothing decoded from m shares
			// the defaults' own.
			if l, isList := d.([]string); isList {
				d = append([]string{}, l...)
			}
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
	issuers, _ := raw["auth"].(map[string]any)["issuers"].([]any)
	for _, e := range issuers {
		iss := e.(map[string]any)
		fill(iss, issuerDefaults)
		in, _ := iss["introspection"].(map[string]any)
		if url, _ := in["url"].(string); url != "" {
			fill(in, introspectionDefaults)
		}
	}
}
