package verify

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	const max = 64
	tests := []struct {
		name    string
		target  string   // request URL
		headers []string // Authorization values
		form    url.Values
		want    string
		reason  string
	}{
		{"no header", "/mcp", nil, nil, "", ""},
		{"bearer", "/mcp", []string{"Bearer abc.DEF-_~+/="}, nil, "abc.DEF-_~+/=", ""},
		{"scheme in any case", "/mcp", []string{"bEARER tok"}, nil, "tok", ""},
		{"several spaces (RFC 6750 1*SP)", "/mcp", []string{"Bearer   tok"}, nil, "tok", ""},
		{"exactly max bytes", "/mcp", []string{"Bearer " + strings.Repeat("a", max)}, nil, strings.Repeat("a", max), ""},
		{"other query parameters", "/mcp?x=1", []string{"Bearer tok"}, nil, "tok", ""},
		{"empty header", "/mcp", []string{""}, nil, "", "malformed"},
		{"scheme only", "/mcp", []string{"Bearer"}, nil, "", "malformed"},
		{"scheme and space only", "/mcp", []string{"Bearer "}, nil, "", "malformed"},
		{"two tokens", "/mcp", []string{"Bearer a b"}, nil, "", "malformed"},
		{"tab separator", "/mcp", []string{"Bearer\ttok"}, nil, "", "malformed"},
		{"trailing space", "/mcp", []string{"Bearer tok "}, nil, "", "malformed"},
		{"padding inside", "/mcp", []string{"Bearer a=b"}, nil, "", "malformed"},
		{"only padding", "/mcp", []string{"Bearer =="}, nil, "", "malformed"},
		{"quotes", "/mcp", []string{`Bearer "tok"`}, nil, "", "malformed"},
		{"comma list", "/mcp", []string{"Bearer tok, Basic x"}, nil, "", "malformed"},
		{"non-ASCII", "/mcp", []string{"Bearer tök"}, nil, "", "malformed"},
		{"two headers", "/mcp", []string{"Bearer a", "Bearer b"}, nil, "", "malformed"},
		{"leading space", "/mcp", []string{" Bearer tok"}, nil, "", "malformed"},
		{"Basic", "/mcp", []string{"Basic dXNlcjpwYXNz"}, nil, "", "wrong_scheme"},
		{"DPoP", "/mcp", []string{"DPoP tok"}, nil, "", "wrong_scheme"},
		{"Bearer without a space", "/mcp", []string{"Bearertok"}, nil, "", "wrong_scheme"},
		{"too long", "/mcp", []string{"Bearer " + strings.Repeat("a", max+1)}, nil, "", "too_large"},
		{"token in the query", "/mcp?access_token=tok", nil, nil, "", "query_token"},
		{"token in the query besides the header", "/mcp?a=1&access_token=tok", []string{"Bearer tok"}, nil, "", "query_token"},
		{"empty access_token in the query", "/mcp?access_token=", []string{"Bearer tok"}, nil, "", "query_token"},
		{"token in a parsed form", "/mcp", []string{"Bearer tok"}, url.Values{"access_token": {"tok"}}, "", "query_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			r.PostForm = tt.form
			got, err := BearerToken(r, max)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("got refusal %v, want %q", err, tt.want)
				}
				if got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil || err.Reason != tt.reason {
				t.Fatalf("got (%q, %v), want reason %q", got, err, tt.reason)
			}
			if got != "" {
				t.Errorf("got token %q with a refusal, want none", got)
			}
			wantDescription(t, err)
		})
	}
}
