package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	kmaps "github.com/knadh/koanf/maps"
	tomlparser "github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/pelletier/go-toml/v2"
)

// Load reads the TOML file at path, lays the TOOLGATE_* environment
// variables over it (see envPrefix), fills in the defaults of keys still
// unset, then decodes and validates the result.
//
// It returns a Config that is valid throughout, or nil and an error: an
// *Error listing every problem when the file could be read.
func Load(path string) (*Config, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	c, problems := parse(doc)
	if len(problems) > 0 {
		return nil, &Error{File: path, Problems: problems}
	}
	c.Dir, c.File = dir, path
	if p := c.checkFiles(); len(p) > 0 {
		return nil, &Error{File: path, Problems: p}
	}
	return c, nil
}

// parse turns a document and the environment into a valid Config, or
// says what is wrong with them.
func parse(doc []byte) (*Config, []Problem) {
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(doc), tomlparser.Parser()); err != nil {
		return nil, []Problem{syntaxProblem(err)}
	}
	raw := k.Raw()
	env := envOverrides{set: map[string]string{}}
	overrides, err := env.provider().Read()
	if err != nil {
		return nil, []Problem{{Reason: "read environment: " + err.Error()}}
	}

	// Each layer is conformed before they are merged: merged first, a
	// variable setting server.listen would hide a file's server = 5.
	lines := keyLines(doc)
	cf := conformer{lines: lines}
	cf.table("", raw, reflect.TypeFor[Config]())
	cf.table("", overrides, reflect.TypeFor[Config]())
	kmaps.Merge(overrides, raw)
	fillDefaults(raw)
	var c Config
	if err := decode(raw, &c); err != nil {
		// The conformer lets through only what decodes.
		return nil, []Problem{{Reason: err.Error()}}
	}

	problems := slices.Concat(env.problems, cf.problems)
	for _, p := range c.validate(cf.bad, env.set) {
		// A value the conformer refused is gone: what stands in its
		// place is no news.
		if !slices.ContainsFunc(cf.bad, func(bad string) bool { return under(p.Key, bad) }) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, inOrder(problems, lines, env.set)
	}
	return &c, nil
}

// inOrder names the variable behind each problem the environment caused
// and sorts the problems as an operator reads: those of the environment
// first, then those of the file from top to bottom.
func inOrder(problems []Problem, lines map[string]int, set map[string]string) []Problem {
	type placed struct {
		Problem
		line int
	}
	all := make([]placed, len(problems))
	for i, p := range problems {
		for key, name := range set {
			if p.Env == "" && p.Key != "" && under(p.Key, key) {
				p.Env = name
			}
		}
		all[i] = placed{Problem: p}
		switch {
		case p.Env != "":
		case p.Line > 0:
			all[i].line = p.Line
		default:
			all[i].line = lineOf(lines, p.Key)
		}
	}
	slices.SortStableFunc(all, func(a, b placed) int { return a.line - b.line })
	for i, p := range all {
		problems[i] = p.Problem
	}
	return problems
}

// syntaxProblem locates a TOML syntax error.
func syntaxProblem(err error) Problem {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return Problem{Line: line, Reason: "invalid TOML: " + strings.TrimPrefix(de.Error(), "toml: ")}
	}
	// Keys defined twice are caught after parsing, with no position.
	return Problem{Reason: "invalid TOML: " + strings.TrimPrefix(err.Error(), "toml: ")}
}

// decode decodes a conformed map strictly: no weak typing, no unused key.
func decode(raw map[string]any, c *Config) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:  mapstructure.StringToTimeDurationHookFunc(),
		ErrorUnused: true,
		TagName:     "koanf",
		Result:      c,
	})
	if err != nil {
		return err
	}
	return d.Decode(raw)
}
