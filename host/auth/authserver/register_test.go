package authserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestRegistration(t *testing.T) {
	ts := newTestServer(t)
	r := ts.postJSON(t, PathRegister, map[string]any{
		"redirect_uris": []string{testRedirect, "com.example.app:/cb"}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "client_name": "App",
	})
	if r.status != http.StatusCreated {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	var out map[string]any
	mustJSON(t, r.body, &out)
	if out["client_secret"] != nil || out["client_id"] == "" || out["client_id_issued_at"] == nil || out["client_name"] != "App" {
		t.Errorf("got %v", out)
	}
	c, ok, err := ts.store.Client(out["client_id"].(string))
	if !ok || err != nil || !slices.Equal(c.RedirectURIs, []string{testRedirect, "com.example.app:/cb"}) {
		t.Errorf("stored %+v, %v, %v", c, ok, err)
	}
}

func TestRegistrationRefusals(t *testing.T) {
	ts := newTestServer(t)
	for name, tc := range map[string]struct {
		body map[string]any
		code string
	}{
		"no redirect":        {map[string]any{"token_endpoint_auth_method": "none"}, "invalid_redirect_uri"},
		"http redirect":      {map[string]any{"redirect_uris": []string{"http://app.example/cb"}}, "invalid_redirect_uri"},
		"fragment":           {map[string]any{"redirect_uris": []string{"https://app.example/cb#x"}}, "invalid_redirect_uri"},
		"javascript":         {map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, "invalid_redirect_uri"},
		"client credentials": {map[string]any{"redirect_uris": []string{testRedirect}, "grant_types": []string{"client_credentials"}}, "invalid_client_metadata"},
		"implicit":           {map[string]any{"redirect_uris": []string{testRedirect}, "response_types": []string{"token"}}, "invalid_client_metadata"},
		"private_key_jwt":    {map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"},
	} {
		t.Run(name, func(t *testing.T) {
			r := ts.postJSON(t, PathRegister, tc.body)
			var out map[string]any
			mustJSON(t, r.body, &out)
			if r.status != http.StatusBadRequest || out["error"] != tc.code {
				t.Errorf("got %d %v, want 400 %s", r.status, out, tc.code)
			}
		})
	}
}

func TestRegistrationOff(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.DynamicRegistration = false })
	if _, ok := ts.Routes()[PathRegister]; ok {
		t.Error("the registration endpoint is served while off")
	}
	var m map[string]any
	if err := json.Unmarshal(ts.metadata(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["registration_endpoint"]; ok {
		t.Error("the metadata names a registration endpoint while it is off")
	}
}

func TestMetadata(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, http.DefaultClient, "/.well-known/oauth-authorization-server", nil)
	var m map[string]any
	mustJSON(t, r.body, &m)
	iss := ts.issuer()
	for k, want := range map[string]any{
		"issuer": iss, "authorization_endpoint": iss + PathAuthorize, "token_endpoint": iss + PathToken,
		"registration_endpoint": iss + PathRegister, "revocation_endpoint": iss + PathRevoke,
		"jwks_uri": iss + "/.well-known/jwks.json", "authorization_response_iss_parameter_supported": true,
		"client_id_metadata_document_supported": true,
	} {
		if m[k] != want {
			t.Errorf("%s: got %v, want %v", k, m[k], want)
		}
	}
	if got := m["code_challenge_methods_supported"]; len(got.([]any)) != 1 || got.([]any)[0] != "S256" {
		t.Errorf("code_challenge_methods_supported: got %v, want [S256]", got)
	}
}
