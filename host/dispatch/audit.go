package dispatch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/toolgate/toolgate/host/audit"
	"github.com/toolgate/toolgate/host/registry"
)

// callRecord is the audit record of a tool call: who called what, with
// which scopes, how it ended and how long it took. The arguments appear
// only as a digest.
func callRecord(r *Request, tool *registry.Tool, args json.RawMessage, outcome string, took time.Duration) audit.Record {
	sum := sha256.Sum256(args)
	rec := audit.Record{
		RequestID:  r.RequestID,
		Method:     r.Method,
		Tool:       tool.Name,
		Plugin:     tool.Plugin,
		Decision:   audit.DecisionAllowed,
		Scopes:     tool.Scopes,
		Outcome:    outcome,
		DurationMS: float64(took.Microseconds()) / 1000,
		ArgsSHA256: hex.EncodeToString(sum[:]),
	}
	if d, ok := tool.Backend.(interface{ Digest() string }); ok {
		rec.PluginSHA256 = d.Digest()
	}
	if c := r.Caller; c != nil {
		rec.Subject, rec.ClientID, rec.Issuer = c.Subject, c.ClientID, c.Issuer
	}
	return rec
}
