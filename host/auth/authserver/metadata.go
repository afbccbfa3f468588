package authserver

import (
	"encoding/json"
	"net/http"

	"github.com/toolgate/toolgate/host/auth"
)

// authMethods are the client authentication methods of the token and
// revocation endpoints.
var authMethods = []string{"none", "client_secret_basic", "client_secret_post"}

// metadata is the RFC 8414 document. It names only what the server does:
// every endpoint it serves, and no feature it lacks.
func (s *Server) metadata() []byte {
	iss := s.issuer()
	m := map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + PathAuthorize,
		"token_endpoint":                                 iss + PathToken,
		"revocation_endpoint":                            iss + PathRevoke,
		"jwks_uri":                                       iss + "/.well-known/jwks.json",
		"scopes_supported":                               s.opts.Scopes,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"client_id_metadata_document_supported":          s.opts.MetadataDocuments,
	}
	if s.opts.DynamicRegistration {
		m["registration_endpoint"] = iss + PathRegister
	}
	if len(s.opts.Scopes) > 0 {
		m["scopes_supported"] = s.opts.Scopes
	}
	b, _ := json.Marshal(m)
	return b
}

func publicJSON(b []byte) http.Handler { return auth.PublicJSON(b) }

// cors lets browser clients on any origin call an endpoint, as they call
// the token endpoint directly. The endpoints take no cookies, so this
// grants a page nothing it could not do with its own credentials.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
