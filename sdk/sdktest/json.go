package sdktest

import (
	"encoding/json"
	"testing"
)

// Object decodes a JSON object (a schema, structured content), failing the
// test when it is not one.
func Object(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("decoding JSON object %s: %v", b, err)
	}
	return m
}

// Lookup follows keys through nested JSON objects; nil when one is missing.
func Lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
