package dispatch

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/toolgate/toolgate/host/jsonrpc"
)

// ModernVersions are the stateless protocol versions served; SessionVersions
// the session-era ones, newest first.
var (
	ModernVersions  = []string{"2026-07-28"}
	SessionVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26"}
)

// SupportedVersions lists every version, newest first, for error data.
func SupportedVersions() []string { return slices.Concat(ModernVersions, SessionVersions) }

// IsModernVersion and IsSessionVersion tell which era a version belongs to.
func IsModernVersion(v string) bool  { return slices.Contains(ModernVersions, v) }
func IsSessionVersion(v string) bool { return slices.Contains(SessionVersions, v) }

// capabilities are the same in both eras: lists that may change (a config
// reload), resource subscriptions, completions, and log messages forwarded
// from plugins (deprecated in 2026-07-28, yet still how its _meta logLevel
// is answered).
var capabilities = json.RawMessage(`{"logging":{},"completions":{},"prompts":{"listChanged":true},"resources":{"subscribe":true,"listChanged":true},"tools":{"listChanged":true}}`)

type initializeResult struct {
	ProtocolVersion string          `json:"protocolVersion"`
	Capabilities    json.RawMessage `json:"capabilities"`
	ServerInfo      Implementation  `json:"serverInfo"`
	Instructions    string          `json:"instructions,omitempty"`
}

// Initialize answers a session-era initialize and returns the negotiated
// version: the client's when it is a session-era version, else the newest
// session-era version (the client then decides whether it can speak it).
func (s *Server) Initialize(r *Request) (result any, version string, jerr *jsonrpc.Error) {
	defer s.observe(r, time.Now(), &result, &jerr)
	if r.Params.ProtocolVersion == nil {
		return nil, "", invalidParams("initialize: params.protocolVersion is required")
	}
	if r.Params.Capabilities == nil {
		return nil, "", invalidParams("initialize: params.capabilities is required")
	}
	version = *r.Params.ProtocolVersion
	if !IsSessionVersion(version) {
		version = SessionVersions[0]
	}
	r.ProtocolVersion = version
	return &initializeResult{
		ProtocolVersion: version,
		Capabilities:    capabilities,
		ServerInfo:      s.opts.Info,
		Instructions:    s.opts.Instructions,
	}, version, nil
}

type discoverResult struct {
	ResultType        string          `json:"resultType"`
	SupportedVersions []string        `json:"supportedVersions"`
	Capabilities      json.RawMessage `json:"capabilities"`
	Instructions      string          `json:"instructions,omitempty"`
	Meta              json.RawMessage `json:"_meta"`
	cacheHints
}

// cacheHints are the 2026-07-28 caching fields of cacheable results.
type cacheHints struct {
	TTLMs      int64  `json:"ttlMs"`
	CacheScope string `json:"cacheScope"`
}

func (s *Server) discover(context.Context, *Request) (any, *jsonrpc.Error) {
	return &discoverResult{
		ResultType:        "complete",
		SupportedVersions: SupportedVersions(),
		Capabilities:      capabilities,
		Instructions:      s.opts.Instructions,
		Meta:              s.serverInfoMeta,
		// The answer changes only with a new config; an hour is a fair hint.
		cacheHints: cacheHints{TTLMs: 3_600_000, CacheScope: "public"},
	}, nil
}
