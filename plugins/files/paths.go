package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// pathError is a failure about one path, worded for the model. It names the
// path as the call gave it, relative to the root, and never the root's place
// on the host.
type pathError struct {
	path    string
	problem string
}

func (e *pathError) Error() string { return fmt.Sprintf("%s: %s", e.path, e.problem) }

func newPathError(name, problem string) error {
	return &pathError{path: name, problem: problem}
}

// localName turns a path from a call into a name for the root: slash
// separated, cleaned, and lexically inside the root. The root re-checks
// every name against symbolic links when it opens it; this check gives the
// obvious mistakes a clear message.
func localName(p string) (string, error) {
	switch {
	case p == "":
		return ".", nil
	case strings.ContainsRune(p, 0):
		return "", newPathError(p, "contains a NUL byte")
	case path.IsAbs(p) || filepath.IsAbs(p):
		return "", newPathError(p, "is absolute; paths are relative to the root")
	}
	name := path.Clean(p)
	if !fs.ValidPath(name) || !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", newPathError(p, "leads outside the root")
	}
	return name, nil
}

// errEscapes is the text of the error os.Root gives for a name, or a symbolic
// link on its way, that leads outside the root; os does not export it.
const errEscapes = "path escapes from parent"

// fsError words an error from the file system for the model. Only the
// system's reason is kept: an *fs.PathError's own text would carry the name
// as os saw it, and other errors may carry anything.
func fsError(name string, err error) error {
	var pe *pathError
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return newPathError(name, "no such file or directory")
	case errors.Is(err, fs.ErrPermission):
		return newPathError(name, "permission denied")
	}
	var fe *fs.PathError
	if errors.As(err, &fe) {
		if fe.Err.Error() == errEscapes {
			return newPathError(name, "leads outside the root")
		}
		return newPathError(name, fe.Err.Error())
	}
	return newPathError(name, "cannot be accessed")
}
