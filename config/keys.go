package config

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Keys are named in messages the way TOML would spell them, with array
// entries indexed from 0: server.listen, plugins[1].sha256,
// tools."odd name".scopes[0]. bareKey matches a key TOML writes unquoted.
var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// child names key name below path.
func child(path, name string) string {
	if !bareKey.MatchString(name) {
		name = strconv.Quote(name)
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// entry names entry i of the array at path.
func entry(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// under reports whether key is path itself or lies below it.
func under(key, path string) bool {
	rest, ok := strings.CutPrefix(key, path)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// keyLines maps every key path in a TOML document to the line it first
// appears on, so that a key the schema does not know can be pointed at.
// The document must already have parsed without error.
func keyLines(doc []byte) map[string]int {
	k := lineIndex{lines: map[string]int{}, arrays: map[string]int{}}
	k.p.Reset(doc)
	table := ""
	for k.p.NextExpression() {
		e := k.p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = k.header(e, false)
		case unstable.ArrayTable:
			table = k.header(e, true)
		case unstable.KeyValue:
			k.keyValue(table, e)
		}
	}
	return k.lines
}

type lineIndex struct {
	p     unstable.Parser
	lines map[string]int
	// arrays counts the entries of each array of tables so far: a later
	// [plugins.config] header belongs to the last [[plugins]] entry.
	arrays map[string]int
}

func (k *lineIndex) header(e *unstable.Node, array bool) string {
	path := ""
	it := e.Key()
	for it.Next() {
		path = k.name(path, it.Node())
		if array && it.IsLast() {
			k.arrays[path]++
			path = entry(path, k.arrays[path]-1)
			k.lines[path] = k.p.Shape(it.Node().Raw).Start.Line
		} else if n := k.arrays[path]; n > 0 {
			path = entry(path, n-1)
		}
	}
	return path
}

func (k *lineIndex) keyValue(table string, e *unstable.Node) {
	path := table
	it := e.Key()
	for it.Next() {
		path = k.name(path, it.Node())
	}
	k.value(path, e.Value())
}

// value indexes the keys inside inline tables and arrays of them.
func (k *lineIndex) value(path string, v *unstable.Node) {
	it := v.Children()
	for i := 0; it.Next(); i++ {
		switch c := it.Node(); {
		case v.Kind == unstable.InlineTable && c.Kind == unstable.KeyValue:
			k.keyValue(path, c)
		case v.Kind == unstable.Array:
			if c.Raw.Length > 0 {
				k.lines[entry(path, i)] = k.p.Shape(c.Raw).Start.Line
			}
			k.value(entry(path, i), c)
		}
	}
}

func (k *lineIndex) name(path string, key *unstable.Node) string {
	path = child(path, string(key.Data))
	if _, seen := k.lines[path]; !seen {
		k.lines[path] = k.p.Shape(key.Raw).Start.Line
	}
	return path
}

// lineOf is the line key is on, or else the line of the nearest table
// holding it; 0 if the file has neither.
func lineOf(lines map[string]int, key string) int {
	for ; key != ""; key = parent(key) {
		if n, ok := lines[key]; ok {
			return n
		}
	}
	return 0
}

// parent strips the last name or index from key.
func parent(key string) string {
	cut, quoted := 0, false
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && (c == '.' || c == '['):
			cut = i
		}
	}
	return key[:cut]
}
