package authserver

import "testing"

func TestCheckRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://app.example.com/cb":      true,
		"http://127.0.0.1/cb":             true,
		"http://localhost:3000/cb":        true,
		"http://[::1]:8080/cb":            true,
		"com.example.app:/oauth":          true,
		"cursor://anysphere.cursor/oauth": true,
		"http://app.example.com/cb":       false,
		"https://app.example.com/cb#frag": false,
		"/relative":                       false,
		"javascript:alert(1)":             false,
		"data:text/html,hi":               false,
		"file:///etc/passwd":              false,
		"https:///nohost":                 false,
	} {
		if err := checkRedirectURI(uri); (err == nil) != ok {
			t.Errorf("%s: got %v, want ok=%v", uri, err, ok)
		}
	}
}

func TestMatchRedirectURI(t *testing.T) {
	reg := []string{"http://127.0.0.1:3000/cb", "https://app.example.com/cb", "http://localhost/cb?x=1"}
	for uri, ok := range map[string]bool{
		"http://127.0.0.1:3000/cb":       true,
		"http://127.0.0.1:51234/cb":      true, // RFC 8252 §7.3
		"http://127.0.0.1/cb":            true,
		"http://localhost:9/cb?x=1":      true,
		"http://localhost:9/cb":          false,
		"http://127.0.0.1:3000/cb/":      false,
		"http://[::1]:3000/cb":           false,
		"https://app.example.com/cb":     true,
		"https://app.example.com:444/cb": false,
		"https://app.example.com/cb/x":   false,
		"https://APP.example.com/cb":     false,
	} {
		if got := matchRedirectURI(reg, uri); got != ok {
			t.Errorf("%s: got %v, want %v", uri, got, ok)
		}
	}
}
