package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashboardFile is the Grafana dashboard shipped for Toolgate. That every
// metric it queries is exported, and that Prometheus accepts every query,
// is checked against a live host and a real Prometheus in
// host/e2e/prometheus_test.go; this test checks the dashboard's shape.
const dashboardFile = "dashboard/toolgate.json"

type grafanaDashboard struct {
	Title         string          `json:"title"`
	UID           string          `json:"uid"`
	SchemaVersion int             `json:"schemaVersion"`
	Panels        []grafanaPanel  `json:"panels"`
	Templating    grafanaTemplate `json:"templating"`
}

type grafanaPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Datasource  *grafanaSource  `json:"datasource"`
	GridPos     grafanaGridPos  `json:"gridPos"`
	Targets     []grafanaTarget `json:"targets"`
	Panels      []grafanaPanel  `json:"panels"` // a collapsed row's panels
}

type grafanaSource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaGridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type grafanaTarget struct {
	Datasource *grafanaSource `json:"datasource"`
	Expr       string         `json:"expr"`
	RefID      string         `json:"refId"`
}

type grafanaTemplate struct {
	List []grafanaVariable `json:"list"`
}

type grafanaVariable struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Query      any            `json:"query"` // a string, or {"query": ...} in newer schemas
	Definition string         `json:"definition"`
	Datasource *grafanaSource `json:"datasource"`
	AllValue   string         `json:"allValue"`
	IncludeAll bool           `json:"includeAll"`
}

// query returns the variable's query text whichever form it is stored in.
func (v grafanaVariable) query() string {
	switch q := v.Query.(type) {
	case string:
		return q
	case map[string]any:
		s, _ := q["query"].(string)
		return s
	}
	return ""
}

// datasourceRef is how every panel and target must name its data source:
// through the dashboard's variable, so the dashboard imports into any
// Grafana whatever its Prometheus data source is called.
const datasourceRef = "${datasource}"

func loadDashboard(t *testing.T) (*grafanaDashboard, []byte) {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not a Grafana dashboard: %v", dashboardFile, err)
	}
	if dec.More() {
		t.Fatalf("%s holds more than one JSON value", dashboardFile)
	}
	return &d, raw
}

// allPanels flattens rows: a collapsed row holds its panels itself.
func allPanels(ps []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardShape(t *testing.T) {
	d, raw := loadDashboard(t)
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q, uid %q: both must be set (the uid keeps links stable across imports)", d.Title, d.UID)
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d, want a Grafana 9.x to 11.x schema (36 to 41)", d.SchemaVersion)
	}
	panels := allPanels(d.Panels)
	if len(panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}

	ids := map[int]string{}
	queries := 0
	for _, p := range panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id must be positive", name)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id already used by %q", name, other)
		}
		ids[p.ID] = p.Title
		if p.Title == "" {
			t.Errorf("%s: no title", name)
		}
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v is off Grafana's 24-column grid", name, g)
		}
		if p.Type == "row" {
			if len(p.Targets) != 0 {
				t.Errorf("%s: a row has no queries, got %d targets", name, len(p.Targets))
			}
			continue
		}
		if len(p.Panels) != 0 {
			t.Errorf("%s: only rows hold panels", name)
		}
		if len(strings.Fields(p.Description)) < 8 {
			t.Errorf("%s: the description %q should tell an operator what to look at", name, p.Description)
		}
		if p.Datasource == nil || p.Datasource.UID != datasourceRef || p.Datasource.Type != "prometheus" {
			t.Errorf("%s: datasource %+v, want {prometheus %s}", name, p.Datasource, datasourceRef)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", name)
		}
		refs := map[string]bool{}
		for i, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: target %d has an empty expr", name, i)
			}
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: target %d has refId %q, want a unique non-empty one", name, i, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != datasourceRef {
				t.Errorf("%s: target %s names datasource %q, want %s", name, tg.RefID, tg.Datasource.UID, datasourceRef)
			}
			if err := balanced(tg.Expr); err != nil {
				t.Errorf("%s: target %s: %v in\n%s", name, tg.RefID, err, tg.Expr)
			}
			queries++
		}
	}
	if queries == 0 {
		t.Fatal("no panel has a query")
	}
	checkNoOverlap(t, d.Panels)

	vars := map[string]grafanaVariable{}
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			t.Errorf("variable %q is defined twice", v.Name)
		}
		vars[v.Name] = v
	}
	if ds, ok := vars["datasource"]; !ok || ds.Type != "datasource" || ds.query() != "prometheus" {
		t.Errorf("want a datasource variable named datasource over prometheus data sources, got %+v", ds)
	}
	for _, name := range []string{"plugin", "tool"} {
		v, ok := vars[name]
		if !ok {
			t.Errorf("no %s variable", name)
			continue
		}
		if v.Type != "query" || !strings.HasPrefix(v.query(), "label_values(") {
			t.Errorf("variable %s: type %q query %q, want a label_values query", name, v.Type, v.query())
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != datasourceRef {
			t.Errorf("variable %s: datasource %+v, want %s", v.Name, v.Datasource, datasourceRef)
		}
		if v.Definition != "" && v.Definition != v.query() {
			t.Errorf("variable %s: definition %q differs from its query %q", v.Name, v.Definition, v.query())
		}
		if v.IncludeAll && v.AllValue == "" {
			// Without allValue Grafana expands All into a regex of the
			// values it knows, which misses new plugins and tools.
			t.Errorf("variable %s: includeAll without allValue", v.Name)
		}
		if err := balanced(v.query()); err != nil {
			t.Errorf("variable %s: %v in %s", v.Name, err, v.query())
		}
	}

	// Every variable a query uses is defined, and every query variable
	// is used by some panel.
	text := string(raw)
	undefined := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(text, -1) {
		if name := m[1]; !strings.HasPrefix(name, "__") && !undefined[name] {
			if _, ok := vars[name]; !ok {
				undefined[name] = true
				t.Errorf("$%s is used but no variable defines it", name)
			}
		}
	}
	for _, p := range panels {
		for _, tg := range p.Targets {
			for name := range vars {
				if strings.Contains(tg.Expr, "$"+name) || strings.Contains(tg.Expr, "${"+name+"}") {
					delete(vars, name)
				}
			}
		}
	}
	delete(vars, "datasource") // used by the panels' datasource fields
	for name := range vars {
		t.Errorf("variable %s is used by no panel", name)
	}

	// Nothing names a data source other than through the variable: a
	// hard-coded uid breaks the dashboard on import.
	for _, m := range regexp.MustCompile(`"uid":\s*"([^"]*)"`).FindAllStringSubmatch(text, -1) {
		if m[1] != datasourceRef && m[1] != d.UID && m[1] != "-- Grafana --" {
			t.Errorf("a hard-coded uid %q: data sources must be named as %s", m[1], datasourceRef)
		}
	}
}

// balanced checks brackets and quotes pair up in a PromQL expression: a
// cheap guard against an edit that broke one; Prometheus itself parses
// every expression in the end-to-end test.
func balanced(expr string) error {
	var stack []byte
	pairs := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; c {
		case '"', '\'', '`':
			j := i + 1
			for ; j < len(expr) && expr[j] != c; j++ {
				if expr[j] == '\\' && c != '`' {
					j++
				}
			}
			if j >= len(expr) {
				return fmt.Errorf("unterminated string at offset %d", i)
			}
			i = j
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return fmt.Errorf("unbalanced %q at offset %d", c, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return nil
}

// checkNoOverlap checks that no two top-level panels cover the same grid
// cells, which Grafana would silently rearrange.
func checkNoOverlap(t *testing.T, ps []grafanaPanel) {
	t.Helper()
	for i, a := range ps {
		for _, b := range ps[i+1:] {
			ga, gb := a.GridPos, b.GridPos
			if ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H {
				t.Errorf("panels %q %+v and %q %+v overlap", a.Title, ga, b.Title, gb)
			}
		}
	}
}

func TestDashboardBalanced(t *testing.T) {
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`sum by (le) (rate(x_bucket{a="}"}[5m]))`, true},
		{`sum(rate(x[5m])`, false},
		{`x{a="b}`, false},
		{`x{a="\"}"}`, true},
		{`(x]`, false},
	} {
		if err := balanced(tc.expr); (err == nil) != tc.ok {
			t.Errorf("balanced(%q) = %v, want ok=%v", tc.expr, err, tc.ok)
		}
	}
}
