package authserver

import (
	"encoding/json"
	"net/http"
)

// oauthError is an error response of the token, registration and
// revocation endpoints (RFC 6749 §5.2, RFC 7591 §3.2.2).
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// basic asks for a Basic challenge: the client tried Basic.
	basic bool
}

func errInvalidRequest(d string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: d}
}

func errInvalidGrant(d string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_grant", Description: d}
}

func errInvalidScope(d string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_scope", Description: d}
}

func errInvalidTarget(d string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_target", Description: d}
}

func errUnauthorizedClient(d string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: d}
}

// errInvalidClient is 401 (RFC 6749 §5.2), with a Basic challenge when the
// client used Basic.
func errInvalidClient(d string, basic bool) *oauthError {
	return &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", Description: d, basic: basic}
}

func errServer(d string) *oauthError {
	return &oauthError{Status: http.StatusInternalServerError, Code: "server_error", Description: d}
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="toolgate"`)
	}
	writeJSON(w, e.Status, e)
}

// writeJSON writes a response that no cache may keep (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readForm parses a POSTed form body of at most 64 KiB.
func readForm(w http.ResponseWriter, r *http.Request) *oauthError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		return &oauthError{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "send this request with POST"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errInvalidRequest("the body is not a form (application/x-www-form-urlencoded) of at most 64 KiB")
	}
	return nil
}
