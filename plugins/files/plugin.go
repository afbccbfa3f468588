package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/toolgate/toolgate/sdk"
)

// tree is the configured root and its limits. Every file the tools touch is
// reached through root, which confines opens to the directory: it refuses
// "..", absolute names and symbolic links that lead out of it, resolving
// each path component itself so a link swapped in mid-call cannot escape.
type tree struct {
	root         *os.Root
	fsys         fs.FS // root.FS(), for fs.WalkDir and fs.ReadDir
	maxFileBytes int64
	maxResults   int
}

// files holds the tree once Setup has opened it. Setup runs before any call,
// but on another goroutine than the calls, hence the atomic pointer.
type files struct {
	tree atomic.Pointer[tree]
}

func newPlugin() *sdk.Plugin {
	f := &files{}
	return &sdk.Plugin{
		Setup: f.setup,
		Tools: []sdk.Tool{f.listTool(), f.readTool(), f.searchTool()},
	}
}

func (f *files) setup(_ context.Context, raw sdk.Config) error {
	cfg := config{MaxFileBytes: defaultMaxFileBytes, MaxResults: defaultMaxResults}
	if err := raw.Decode(&cfg); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	root, err := os.OpenRoot(cfg.Root)
	if err != nil {
		return fmt.Errorf("files: opening root %q: %w", cfg.Root, err)
	}
	old := f.tree.Swap(&tree{root: root, fsys: root.FS(), maxFileBytes: cfg.MaxFileBytes, maxResults: cfg.MaxResults})
	if old != nil {
		_ = old.root.Close()
	}
	return nil
}

var errNotConfigured = errors.New("files: the plugin has no root yet; the host must run Init first")

// loaded returns the tree, or an error for a call that arrives before Setup.
func (f *files) loaded() (*tree, error) {
	t := f.tree.Load()
	if t == nil {
		return nil, errNotConfigured
	}
	return t, nil
}

// annotations are the same for every tool: they only read, and only the
// local tree.
func annotations() sdk.Annotations {
	return sdk.Annotations{
		ReadOnlyHint:    sdk.Hint(true),
		DestructiveHint: sdk.Hint(false),
		IdempotentHint:  sdk.Hint(true),
		OpenWorldHint:   sdk.Hint(false),
	}
}

var scopes = []string{"files:read"}
