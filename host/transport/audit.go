package transport

import (
	"github.com/toolgate/toolgate/host/audit"
	"github.com/toolgate/toolgate/host/dispatch"
)

// auditRefusal records a refused request. The refusal stands whether or not
// its record can be kept: refusing does nothing that needs undoing.
func (h *Handler) auditRefusal(req *dispatch.Request, reason string) {
	if h.opts.Audit == nil {
		return
	}
	rec := audit.Record{RequestID: req.RequestID, Method: req.Method, Decision: audit.DecisionRefused, Reason: reason}
	if len(rec.Method) > 64 {
		rec.Method = rec.Method[:64] // a client's method name is not trusted to be short
	}
	if t := h.d.RequiredScopes(req); len(t) > 0 && req.Params.Name != nil {
		rec.Tool, rec.Scopes = *req.Params.Name, t
	}
	if c := req.Caller; c != nil {
		rec.Subject, rec.ClientID, rec.Issuer = c.Subject, c.ClientID, c.Issuer
	}
	if err := h.opts.Audit.Write(rec); err != nil {
		h.log.Warn("a refusal could not be audited", "reason", reason, "error", err)
	}
}
