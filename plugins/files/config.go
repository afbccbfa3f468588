package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

const (
	defaultMaxFileBytes = 1 << 20
	defaultMaxResults   = 1000
)

// config is the plugin's [plugins.config] table.
type config struct {
	// Root is the directory the tools serve. A relative root resolves
	// against the working directory, which the host sets to the directory
	// of its config file.
	Root         string `json:"root"`
	MaxFileBytes int64  `json:"max_file_bytes"`
	MaxResults   int    `json:"max_results"`
}

// check reports the first setting that cannot work. The errors name the
// root as the operator wrote it: they go to the operator's log, not to a model.
func (c config) check() error {
	switch {
	case c.Root == "":
		return errors.New("files: root is required")
	case c.MaxFileBytes <= 0:
		return fmt.Errorf("files: max_file_bytes is %d, want a positive number of bytes", c.MaxFileBytes)
	case c.MaxResults <= 0:
		return fmt.Errorf("files: max_results is %d, want a positive number", c.MaxResults)
	}
	info, err := os.Stat(c.Root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("files: root %q does not exist", c.Root)
	case err != nil:
		return fmt.Errorf("files: root %q: %w", c.Root, err)
	case !info.IsDir():
		return fmt.Errorf("files: root %q is not a directory", c.Root)
	}
	return nil
}
