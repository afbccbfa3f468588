// Package auth makes the MCP endpoint an OAuth 2.1 resource server: it reads
// the bearer token, has it verified (package verify), answers refusals with
// the RFC 6750 / RFC 9728 challenges that MCP clients act on, and serves the
// protected resource metadata that tells clients where to get a token.
package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/auth/verify"
)

// Options configure an Authenticator.
type Options struct {
	Verifier *verify.Verifier
	Metadata Metadata
	// MetadataURL is the RFC 9728 document's URL, named in every challenge.
	MetadataURL string
	// ChallengeScopes go into the scope parameter of a 401 challenge.
	ChallengeScopes []string
	MaxTokenBytes   int
	Logger          *slog.Logger
	// Registerer receives the authorization metrics.
	Registerer prometheus.Registerer
}

// Authenticator decides who a request comes from, or how to refuse it.
type Authenticator struct {
	opts      Options
	decisions *prometheus.CounterVec
}

// New returns an Authenticator and registers its metrics.
func New(opts Options) *Authenticator {
	a := &Authenticator{opts: opts, decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "toolgate_auth_decisions_total",
		Help: "Authorization decisions on MCP requests, by result (allowed, refused) and reason.",
	}, []string{"result", "reason"})}
	opts.Registerer.MustRegister(a.decisions)
	return a
}

// Refusal is a request turned away: the HTTP status, the WWW-Authenticate
// challenge, a reason word for metrics and logs, and a message for the
// JSON-RPC error body.
type Refusal struct {
	Status    int
	Challenge string
	Reason    string
	Message   string
}

// Authenticate returns the caller's identity, or the refusal to send. No
// token, or a bad one, is 401; a token in the query string is 400.
func (a *Authenticator) Authenticate(r *http.Request) (*verify.Identity, *Refusal) {
	token, err := verify.BearerToken(r, a.opts.MaxTokenBytes)
	switch {
	case err != nil && err.Reason == "wrong_scheme":
		// Credentials of another scheme are no bearer token: RFC 6750 §3.1
		// answers a request without one with a plain challenge.
		return nil, a.noToken("wrong_scheme")
	case err != nil && err.Reason == "too_large":
		return nil, a.refuse(http.StatusUnauthorized, "invalid_token", err)
	case err != nil:
		// A malformed header or a token in the query string is a
		// malformed request: invalid_request, 400 (RFC 6750 §3.1).
		return nil, a.refuse(http.StatusBadRequest, "invalid_request", err)
	case token == "":
		return nil, a.noToken("no_token")
	}
	id, verr := a.opts.Verifier.Verify(r.Context(), token)
	if verr != nil {
		return nil, a.refuse(http.StatusUnauthorized, "invalid_token", verr)
	}
	return id, nil
}

// Allowed counts a request that passed every check: a valid token, and the
// scopes its call needs. Each request is counted once, allowed or refused.
func (a *Authenticator) Allowed() {
	a.decisions.WithLabelValues("allowed", "valid_token").Inc()
}

func (a *Authenticator) noToken(reason string) *Refusal {
	a.decisions.WithLabelValues("refused", reason).Inc()
	return &Refusal{
		Status:    http.StatusUnauthorized,
		Challenge: a.challenge(a.opts.ChallengeScopes, "", ""),
		Reason:    reason,
		Message:   "Unauthorized: this server needs a bearer token; the WWW-Authenticate header says where to get one",
	}
}

func (a *Authenticator) refuse(status int, code string, err *verify.Error) *Refusal {
	a.decisions.WithLabelValues("refused", err.Reason).Inc()
	return &Refusal{
		Status:    status,
		Challenge: a.challenge(a.opts.ChallengeScopes, code, err.Description),
		Reason:    err.Reason,
		Message:   "Unauthorized: " + err.Description,
	}
}

// Forbid is the step-up challenge for a caller that lacks scopes: 403 with
// error="insufficient_scope" and the scopes to ask for. The scope parameter
// holds what the call needs together with what the caller already has, so
// the token the client comes back with still serves its other calls.
func (a *Authenticator) Forbid(method string, need, granted []string) *Refusal {
	ask := slices.Concat(granted, need)
	slices.Sort(ask)
	// A refresh token is no resource requirement: never ask for one
	// (MCP authorization, refresh tokens).
	ask = slices.DeleteFunc(slices.Compact(ask), func(s string) bool { return s == "offline_access" })
	missing := Missing(need, granted)
	a.decisions.WithLabelValues("refused", "insufficient_scope").Inc()
	return &Refusal{
		Status:    http.StatusForbidden,
		Challenge: a.challenge(ask, "insufficient_scope", "this call needs scope "+strings.Join(missing, " ")),
		Reason:    "insufficient_scope",
		Message:   fmt.Sprintf("Forbidden: %s needs scope %s, which the token does not grant", method, strings.Join(missing, " ")),
	}
}

// Missing returns the scopes of need that granted lacks.
func Missing(need, granted []string) []string {
	var out []string
	for _, s := range need {
		if !slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// challenge formats a WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1).
func (a *Authenticator) challenge(scopes []string, code, description string) string {
	var b strings.Builder
	b.WriteString(`Bearer resource_metadata="`)
	b.WriteString(a.opts.MetadataURL)
	b.WriteByte('"')
	if code != "" {
		fmt.Fprintf(&b, `, error="%s"`, code)
	}
	if description != "" {
		fmt.Fprintf(&b, `, error_description="%s"`, quotable(description))
	}
	if len(scopes) > 0 {
		fmt.Fprintf(&b, `, scope="%s"`, strings.Join(scopes, " "))
	}
	return b.String()
}

// quotable keeps only the characters RFC 6750 §3 allows in error_description.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == 0x20 || r == 0x21 || (r >= 0x23 && r <= 0x5b) || (r >= 0x5d && r <= 0x7e) {
			return r
		}
		return '\''
	}, s)
}
