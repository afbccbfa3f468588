package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/knadh/koanf/providers/env/v2"
)

// envPrefix starts the name of every environment variable that overrides
// a key. After it, a double underscore separates levels and the name is
// lowercased: TOOLGATE_SERVER__LISTEN sets server.listen and
// TOOLGATE_TOOLS__ECHO__CALL_TIMEOUT sets tools.echo.call_timeout.
//
// TOOLGATE_AUTH__ENABLED=false and TOOLGATE_AUTH__LOCAL__ENABLED=true set
// booleans: true or false (also 1, 0, t, f and capitalised forms).
//
// Being lowercased, a variable cannot reach a [tools.NAME] table whose
// NAME has capitals. Only keys of tables can be set; [[plugins]] and
// [[auth.issuers]] entries cannot, since an index into the file's list is
// too fragile to aim at from outside. A variable without a double
// underscore names no key of a table and is left alone: TOOLGATE_PLUGIN,
// for one, is the plugin handshake's cookie.
const envPrefix = "TOOLGATE_"

// envSep separates levels in a variable's name.
const envSep = "__"

// envOverrides turns TOOLGATE_* variables into a koanf provider, noting
// which variable set which key so that problems can name it.
type envOverrides struct {
	// set maps a key path to the variable that set it.
	set      map[string]string
	problems []Problem
}

func (o *envOverrides) provider() *env.Env {
	// Splitting on envSep rather than on "." keeps a tool name with a dot
	// in it whole.
	return env.Provider(envSep, env.Opt{Prefix: envPrefix, TransformFunc: o.transform})
}

// transform maps one variable to its key and typed value, or to "" when
// the variable is no override or a bad one.
func (o *envOverrides) transform(name, value string) (string, any) {
	rest := strings.TrimPrefix(name, envPrefix)
	if !strings.Contains(rest, envSep) {
		return "", nil
	}
	parts := strings.Split(strings.ToLower(rest), envSep)
	key, t, reason := envKey(parts)
	if reason != "" {
		o.problems = append(o.problems, Problem{Env: name, Reason: reason})
		return "", nil
	}
	if other, dup := o.set[key]; dup {
		o.problems = append(o.problems, Problem{Key: key, Env: name, Reason: "also set by " + other})
		return "", nil
	}
	v, reason := envValue(value, t)
	if reason != "" {
		o.problems = append(o.problems, Problem{Key: key, Env: name, Reason: reason})
		return "", nil
	}
	o.set[key] = name
	return strings.Join(parts, envSep), v
}

// envKey finds the key that parts name and the type of its value, or says
// why they name none that can be set.
func envKey(parts []string) (key string, t reflect.Type, reason string) {
	t = reflect.TypeFor[Config]()
	for _, p := range parts {
		key = child(key, p)
		switch t.Kind() {
		case reflect.Struct:
			f, ok := field(t, p)
			if !ok {
				return "", nil, fmt.Sprintf("unknown key %q", key)
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return "", nil, fmt.Sprintf("unknown key %q", key)
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			return "", nil, key + " cannot be set from the environment"
		}
	}
	if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
		return "", nil, fmt.Sprintf("%q is a table, not a value", key)
	}
	return key, t, ""
}

// envValue converts a variable's value to what the file would hold for a
// key of type t. Durations stay strings, checked as the file's are.
func envValue(s string, t reflect.Type) (any, string) {
	switch {
	case t == durationType:
		return s, ""
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("must be an integer, got %q", s)
		}
		return n, ""
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Sprintf("must be true or false, got %q", s)
		}
		return b, ""
	case t.Kind() == reflect.Slice:
		// An empty value sets an empty list, which for tools.X.scopes
		// means the tool needs no scope and for auth.challenge_scopes
		// that a challenge names none.
		return append([]string{}, strings.FieldsFunc(s, isListSep)...), ""
	}
	return s, ""
}

func isListSep(r rune) bool {
	return r == ',' || unicode.IsSpace(r)
}
