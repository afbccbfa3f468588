package sdk

import (
	"fmt"
	"regexp"
	"strings"
)

// URITemplate is a resource template's URI pattern: an RFC 6570 template
// limited to the two expressions a resource path needs. {name} stands for
// one or more characters other than "/", {+name} for one or more of any.
// The host and sdktest match URIs against it the same way.
type URITemplate struct {
	text string
	re   *regexp.Regexp
	vars []string
}

var varName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// ParseURITemplate parses a template, refusing expressions it cannot match
// (other RFC 6570 operators, several variables in one expression) so that
// a template never silently matches less than its author meant.
func ParseURITemplate(s string) (*URITemplate, error) {
	t := &URITemplate{text: s}
	var pat strings.Builder
	pat.WriteString("^")
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			pat.WriteString(regexp.QuoteMeta(rest))
			break
		}
		if rest[open] == '}' {
			return nil, fmt.Errorf("uri template %q: a } without its {", s)
		}
		pat.WriteString(regexp.QuoteMeta(rest[:open]))
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("uri template %q: a { without its }", s)
		}
		expr := rest[open+1 : open+end]
		rest = rest[open+end+1:]
		class := `[^/]+`
		if name, ok := strings.CutPrefix(expr, "+"); ok {
			expr, class = name, `.+`
		}
		if !varName.MatchString(expr) {
			return nil, fmt.Errorf("uri template %q: {%s} is not supported: write {name} or {+name}, one variable of A-Z a-z 0-9 _", s, expr)
		}
		for _, v := range t.vars {
			if v == expr {
				return nil, fmt.Errorf("uri template %q: variable %s appears twice", s, expr)
			}
		}
		t.vars = append(t.vars, expr)
		pat.WriteString("(" + class + ")")
	}
	if len(t.vars) == 0 {
		return nil, fmt.Errorf("uri template %q has no {variable}: offer it as a resource instead", s)
	}
	pat.WriteString("$")
	t.re = regexp.MustCompile(pat.String())
	return t, nil
}

// String returns the template as written.
func (t *URITemplate) String() string { return t.text }

// Variables returns the template's variable names in order.
func (t *URITemplate) Variables() []string { return t.vars }

// Match reports whether uri matches the template and returns its variables.
func (t *URITemplate) Match(uri string) (map[string]string, bool) {
	m := t.re.FindStringSubmatch(uri)
	if m == nil {
		return nil, false
	}
	vars := make(map[string]string, len(t.vars))
	for i, name := range t.vars {
		vars[name] = m[i+1]
	}
	return vars, true
}
