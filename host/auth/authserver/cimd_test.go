package authserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// documentHost serves a client metadata document at /client.json; edit
// changes it before it is written. hits counts fetches.
func documentHost(t *testing.T, edit func(doc map[string]any, w http.ResponseWriter)) (url string, hits *atomic.Int32) {
	t.Helper()
	hits = &atomic.Int32{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		doc := map[string]any{
			"client_id": srv.URL + "/client.json", "client_name": "Doc Client",
			"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none",
		}
		if edit != nil {
			edit(doc, w)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/client.json", hits
}

func TestMetadataDocumentClient(t *testing.T) {
	ts := newTestServer(t)
	id, hits := documentHost(t, func(_ map[string]any, w http.ResponseWriter) {
		w.Header().Set("Cache-Control", "max-age=600")
	})
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	if c := claims(t, tok["access_token"].(string)); c["client_id"] != id {
		t.Errorf("got client_id %v, want %s", c["client_id"], id)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the document was fetched %d times, want once (cached)", n)
	}
}

func TestMetadataDocumentRefusals(t *testing.T) {
	ts := newTestServer(t)
	for name, edit := range map[string]func(map[string]any, http.ResponseWriter){
		"other client_id": func(d map[string]any, _ http.ResponseWriter) { d["client_id"] = "https://other.example/client.json" },
		"no name":         func(d map[string]any, _ http.ResponseWriter) { delete(d, "client_name") },
		"secret":          func(d map[string]any, _ http.ResponseWriter) { d["token_endpoint_auth_method"] = "client_secret_basic" },
		"too large":       func(d map[string]any, _ http.ResponseWriter) { d["padding"] = strings.Repeat("x", maxDocumentBytes) },
		"redirected": func(_ map[string]any, w http.ResponseWriter) {
			w.Header().Set("Location", "/elsewhere.json")
			w.WriteHeader(http.StatusFound)
		},
		"not found": func(_ map[string]any, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
	} {
		t.Run(name, func(t *testing.T) {
			id, _ := documentHost(t, edit)
			_, challenge := pkce()
			r := ts.get(t, browser(t), PathAuthorize, authorizeQuery(id, challenge, "tools:echo"))
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="error"`) {
				t.Errorf("got %d\n%s", r.status, r.body)
			}
		})
	}
}

func TestMetadataDocumentLocalAddressesNeedDev(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.DevHTTPClientIDs = false })
	id, hits := documentHost(t, nil)
	_, challenge := pkce()
	if r := ts.get(t, browser(t), PathAuthorize, authorizeQuery(id, challenge, "tools:echo")); r.status != http.StatusBadRequest {
		t.Errorf("an http://127.0.0.1 client id without the dev key: got %d", r.status)
	}
	if hits.Load() != 0 {
		t.Error("the document was fetched")
	}
	// An https id on a loopback address is refused at connect time.
	if err := checkFetchAddress("127.0.0.1:443", false); err == nil {
		t.Error("loopback allowed without the dev key")
	}
	for _, a := range []string{"10.1.2.3:443", "192.168.0.1:443", "169.254.169.254:80", "[::1]:443", "[fe80::1]:443"} {
		if err := checkFetchAddress(a, true); err == nil && !strings.Contains(a, "::1") {
			t.Errorf("%s allowed", a)
		}
	}
}

func TestDocumentURLs(t *testing.T) {
	for id, ok := range map[string]bool{
		"https://app.example.com/client.json":   true,
		"https://app.example.com/":              false,
		"https://app.example.com":               false,
		"https://u:p@app.example.com/c.json":    false,
		"https://app.example.com/a/../c.json":   false,
		"https://app.example.com/c.json#x":      false,
		"http://app.example.com/c.json":         false,
		"http://localhost:3000/c.json":          false,
		"ftp://app.example.com/client.json":     false,
		"https://app.example.com/c.json?v=1":    true,
		"https://app.example.com/oauth/c%20.js": true,
	} {
		if err := checkDocumentURL(id, false); (err == nil) != ok {
			t.Errorf("%s: got %v, want ok=%v", id, err, ok)
		}
	}
	if err := checkDocumentURL("http://localhost:3000/c.json", true); err != nil {
		t.Errorf("dev http://localhost: %v", err)
	}
}

func TestCacheTTL(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"":                  documentTTL,
		"max-age=60":        time.Minute,
		"public, max-age=0": 0,
		"no-store":          0,
		"max-age=99999999":  maxDocumentTTL,
	} {
		if got := cacheTTL(cc); got != want {
			t.Errorf("%q: got %s, want %s", cc, got, want)
		}
	}
}
