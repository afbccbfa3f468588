package config

import (
	"strconv"
	"strings"
)

// Error is what Load returns for a configuration it refuses: every problem
// found, so that an operator fixes them all in one go.
type Error struct {
	// File is the path given to Load.
	File string
	// Problems are in the order found; there is at least one.
	Problems []Problem
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Key is the key at fault, as in "server.listen" or "plugins[1].sha256"
	// (array entries count from 0). It is empty when the problem is not
	// about a key the configuration has, as for an unknown key.
	Key string
	// Line is the line of the file the problem is on, when it has no Key.
	Line int
	// Env is the environment variable that set the value, if one did.
	Env string
	// Reason says what is wrong.
	Reason string
}

// Error gives one problem a line:
//
//	mcp.toml: server.listen: "localhost" is not host:port
//	mcp.toml: line 12: unknown key "server.lissten"
//	mcp.toml: log.level: must be debug, info, warn or error, got "loud" (from TOOLGATE_LOG__LEVEL)
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		b.WriteString(": ")
		if p.Line > 0 {
			b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
		}
		if p.Key != "" {
			b.WriteString(p.Key + ": ")
		}
		b.WriteString(p.Reason)
		if p.Env != "" {
			b.WriteString(" (from " + p.Env + ")")
		}
	}
	return b.String()
}
