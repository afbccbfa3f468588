package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"
)

var durationType = reflect.TypeFor[time.Duration]()

// field finds the field of struct type t that key names. Fields tagged
// "-" are not in the file.
func field(t reflect.Type, key string) (reflect.StructField, bool) {
	if key == "-" {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("koanf") == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// conformer checks a raw configuration map against the Config type before
// it is decoded: every unknown key and every value of the wrong type is a
// problem. It removes what it refuses, so that the rest still decodes and
// gets validated, and records the keys it removed in bad.
type conformer struct {
	lines    map[string]int
	problems []Problem
	bad      []string
}

func (c *conformer) refuse(key, format string, args ...any) {
	c.problems = append(c.problems, Problem{Key: key, Reason: fmt.Sprintf(format, args...)})
	c.bad = append(c.bad, key)
}

// table checks the keys of m against struct type t.
func (c *conformer) table(path string, m map[string]any, t reflect.Type) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := child(path, k)
		f, ok := field(t, k)
		if !ok {
			c.problems = append(c.problems, Problem{Line: c.lines[key], Reason: fmt.Sprintf("unknown key %q", key)})
			delete(m, k)
			continue
		}
		if !c.value(key, m[k], f.Type) {
			delete(m, k)
		}
	}
}

// value checks that v can be decoded into type t, and reports whether it
// can; entries of arrays and tables it refuses are removed from v.
func (c *conformer) value(key string, v any, t reflect.Type) bool {
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			c.refuse(key, `must be a duration such as "30s", got %s`, tomlType(v))
			return false
		}
		if _, err := time.ParseDuration(s); err != nil {
			c.refuse(key, `%q is not a duration such as "30s"`, s)
			return false
		}
	case t.Kind() == reflect.String:
		if _, ok := v.(string); !ok {
			c.refuse(key, "must be a string, got %s", tomlType(v))
			return false
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if _, ok := v.(int64); !ok {
			c.refuse(key, "must be an integer, got %s", tomlType(v))
			return false
		}
	case t.Kind() == reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.refuse(key, "must be a boolean, got %s", tomlType(v))
			return false
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			c.refuse(key, "must be a table, got %s", tomlType(v))
			return false
		}
		c.table(key, m, t)
	case t.Kind() == reflect.Slice:
		return c.array(key, v, t.Elem())
	case t.Kind() == reflect.Map:
		return c.tableOf(key, v, t.Elem())
	default:
		panic("config: no rule for decoding " + t.String())
	}
	return true
}

// array checks an array of strings or of tables.
func (c *conformer) array(key string, v any, elem reflect.Type) bool {
	if _, ok := v.([]string); ok && elem.Kind() == reflect.String {
		return true // from the environment, already split
	}
	l, ok := v.([]any)
	if !ok {
		if elem.Kind() == reflect.Struct {
			c.refuse(key, "must be an array of tables, got %s", tomlType(v))
		} else {
			c.refuse(key, "must be an array of strings, got %s", tomlType(v))
		}
		return false
	}
	if elem.Kind() == reflect.Struct {
		for i, e := range l {
			if !c.value(entry(key, i), e, elem) {
				// Keep the entry so that later ones keep their index.
				l[i] = map[string]any{}
			}
		}
		return true
	}
	ok = true
	for i, e := range l {
		ok = c.value(entry(key, i), e, elem) && ok
	}
	if !ok {
		c.bad = append(c.bad, key)
	}
	return ok
}

// tableOf checks a table whose keys are free and whose values are of type
// elem. Free-form values (elem is any) are handed on as they are.
func (c *conformer) tableOf(key string, v any, elem reflect.Type) bool {
	m, ok := v.(map[string]any)
	if !ok {
		c.refuse(key, "must be a table, got %s", tomlType(v))
		return false
	}
	if elem.Kind() == reflect.Interface {
		return true
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !c.value(child(key, k), m[k], elem) {
			delete(m, k)
		}
	}
	return true
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDateTime:
		return "a date-time"
	case toml.LocalDate:
		return "a date"
	case toml.LocalTime:
		return "a time"
	}
	return fmt.Sprintf("a %T", v)
}
