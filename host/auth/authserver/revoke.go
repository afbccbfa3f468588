package authserver

import "net/http"

// serveRevoke is the RFC 7009 revocation endpoint. A refresh token revokes
// its whole family: every refresh token of that sign-in. Access tokens are
// short-lived JWTs checked without a call here, so revoking one is
// answered as RFC 7009 §2.2 allows for a token the server cannot revoke:
// 200, and the token lives until it expires.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if e := readForm(w, r); e != nil {
		e.write(w)
		return
	}
	c, e := s.authenticateClient(r)
	if e != nil {
		e.write(w)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		errInvalidRequest("token is missing").write(w)
		return
	}
	// token_type_hint is only a hint (RFC 7009 §2.1): an access token is
	// no refresh token, so looking it up finds nothing.
	if err := s.opts.Store.RevokeRefresh(tok, c.ID); err != nil {
		s.log.Error("revoking a refresh token", "err", err)
		errServer("the token could not be revoked").write(w)
		return
	}
	s.log.Info("token revoked", "client_id", c.ID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
