package sdk

import (
	"maps"
	"strings"
	"testing"
)

func TestURITemplateMatch(t *testing.T) {
	tests := []struct {
		tmpl, uri string
		want      map[string]string // nil: no match
	}{
		{"test://template/{id}/data", "test://template/123/data", map[string]string{"id": "123"}},
		{"test://template/{id}/data", "test://template/1/2/data", nil},
		{"test://template/{id}/data", "test://template//data", nil},
		{"test://template/{id}/data", "test://template/123/data/x", nil},
		{"file:///{+path}", "file:///a/b.txt", map[string]string{"path": "a/b.txt"}},
		{"db://{table}/{row}", "db://users/7", map[string]string{"table": "users", "row": "7"}},
		// Regular expression characters in the literal part match only themselves.
		{"x://a.b/{v}", "x://aXb/1", nil},
		{"x://a.b/{v}", "x://a.b/1", map[string]string{"v": "1"}},
	}
	for _, tt := range tests {
		tm, err := ParseURITemplate(tt.tmpl)
		if err != nil {
			t.Fatalf("parsing %q: %v", tt.tmpl, err)
		}
		got, ok := tm.Match(tt.uri)
		if ok != (tt.want != nil) || !maps.Equal(got, tt.want) {
			t.Errorf("%q against %q: got %v, %v; want %v", tt.uri, tt.tmpl, got, ok, tt.want)
		}
	}
}

func TestURITemplateRefusesWhatItCannotMatch(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"x://{a,b}", "not supported"},
		{"x://{?q}", "not supported"},
		{"x://{a", "without its }"},
		{"x://a}", "without its {"},
		{"x://{a}/{a}", "appears twice"},
		{"x://fixed", "no {variable}"},
	}
	for _, tt := range tests {
		if _, err := ParseURITemplate(tt.tmpl); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got error %v, want one saying %q", tt.tmpl, err, tt.want)
		}
	}
}
