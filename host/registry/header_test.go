package registry

import (
	"strings"
	"testing"
)

func TestCheckHeaderParams(t *testing.T) {
	for _, tt := range []struct {
		name, schema, wantErr string
	}{
		{"none", `{"type":"object","properties":{"q":{"type":"string"}}}`, ""},
		{"string, integer and boolean", `{"type":"object","properties":{"r":{"type":"string","x-mcp-header":"Region"},"n":{"type":"integer","x-mcp-header":"N"},"b":{"type":"boolean","x-mcp-header":"B"}}}`, ""},
		{"nested through properties", `{"type":"object","properties":{"opts":{"type":"object","properties":{"r":{"type":"string","x-mcp-header":"Region"}}}}}`, ""},
		{"a property named properties", `{"type":"object","properties":{"properties":{"type":"string","x-mcp-header":"P"}}}`, ""},
		{"empty", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":""}}}`, "non-empty string"},
		{"not a string", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":7}}}`, "non-empty string"},
		{"space", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":"My Region"}}}`, "not an HTTP token"},
		{"colon", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":"Region:Primary"}}}`, "not an HTTP token"},
		{"non-ASCII", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":"Région"}}}`, "not an HTTP token"},
		{"control character", `{"type":"object","properties":{"v":{"type":"string","x-mcp-header":"Region\t1"}}}`, "not an HTTP token"},
		{"number", `{"type":"object","properties":{"s":{"type":"number","x-mcp-header":"Score"}}}`, "type string, integer or boolean"},
		{"object", `{"type":"object","properties":{"d":{"type":"object","x-mcp-header":"Data"}}}`, "type string, integer or boolean"},
		{"no type", `{"type":"object","properties":{"d":{"x-mcp-header":"Data"}}}`, "type string, integer or boolean"},
		{"duplicate", `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"Region"},"b":{"type":"string","x-mcp-header":"Region"}}}`, "already used"},
		{"duplicate regardless of case", `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"MyField"},"b":{"type":"string","x-mcp-header":"myfield"}}}`, "already used"},
		{"under items", `{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","x-mcp-header":"Item"}}}}`, "through properties alone"},
		{"under anyOf", `{"type":"object","anyOf":[{"properties":{"v":{"type":"string","x-mcp-header":"V"}}}]}`, "through properties alone"},
		{"under $defs", `{"type":"object","$defs":{"d":{"type":"string","x-mcp-header":"D"}},"properties":{"v":{"$ref":"#/$defs/d"}}}`, "through properties alone"},
		{"on the root", `{"type":"object","x-mcp-header":"Root"}`, "through properties alone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := headerParams([]byte(tt.schema))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestHeaderParamsFound(t *testing.T) {
	got, err := headerParams([]byte(`{"type":"object","properties":{
		"a":{"type":"string","x-mcp-header":"A"},
		"q":{"type":"string"},
		"o":{"type":"object","properties":{"b":{"type":"boolean","x-mcp-header":"B"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, p := range got {
		found[p.Name] = strings.Join(p.Path, ".") + ":" + p.Type
	}
	if want := map[string]string{"A": "a:string", "B": "o.b:boolean"}; len(found) != 2 || found["A"] != want["A"] || found["B"] != want["B"] {
		t.Errorf("got %v, want %v", found, want)
	}
}
