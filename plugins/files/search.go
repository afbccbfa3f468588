package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/toolgate/toolgate/sdk"
)

type searchInput struct {
	Pattern string `json:"pattern" jsonschema:"minLength=1,description=A glob matched against paths relative to the start directory: * and ? within a name; [abc] classes; {a\\,b} alternatives; ** for any number of directories."`
	Path    string `json:"path,omitempty" jsonschema:"default=.,description=The directory to search from relative to the root."`
}

type searchOutput struct {
	Matches   []string `json:"matches" jsonschema:"description=Matching files and directories as paths relative to the root in walk order."`
	Truncated bool     `json:"truncated" jsonschema:"description=True when there are more matches than the plugin's max_results and only the first are listed."`
}

func (f *files) searchTool() sdk.Tool {
	return sdk.Typed(sdk.Tool{
		Name:  "search_files",
		Title: "Search files",
		Description: "Finds files and directories under the files root whose path matches a glob pattern; " +
			"** matches any number of directories. Symbolic links are matched but not followed.",
		Annotations: annotations(),
		Scopes:      scopes,
	}, func(ctx context.Context, _ *sdk.Call, in searchInput) (searchOutput, error) {
		t, err := f.loaded()
		if err != nil {
			return searchOutput{}, err
		}
		out, err := t.search(ctx, in.Pattern, in.Path)
		if err != nil {
			return searchOutput{}, fmt.Errorf("search_files: %w", err)
		}
		return out, nil
	})
}

// search walks the tree below start and collects the paths matching
// pattern. fs.WalkDir reports symbolic links as entries and never descends
// into them, and the walk goes through the root, so it stays inside it.
func (t *tree) search(ctx context.Context, pattern, start string) (searchOutput, error) {
	if pattern == "" {
		return searchOutput{}, errors.New("pattern is empty")
	}
	if !doublestar.ValidatePattern(pattern) {
		return searchOutput{}, fmt.Errorf("pattern %q is not a valid glob", pattern)
	}
	dir, err := localName(start)
	if err != nil {
		return searchOutput{}, err
	}
	// A nil slice would encode as null, which the output schema refuses.
	out := searchOutput{Matches: []string{}}
	err = fs.WalkDir(t.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			switch {
			case err != nil:
				return fsError(dir, err)
			case !d.IsDir():
				return newPathError(dir, "is not a directory")
			}
			return nil
		}
		if err != nil {
			// An unreadable directory below the start is left out, not fatal.
			return nil
		}
		rel := p
		if dir != "." {
			rel = p[len(dir)+1:]
		}
		if !doublestar.MatchUnvalidated(pattern, rel) {
			return nil
		}
		if len(out.Matches) == t.maxResults {
			out.Truncated = true
			return fs.SkipAll
		}
		out.Matches = append(out.Matches, p)
		return nil
	})
	if err != nil {
		return searchOutput{}, err
	}
	return out, nil
}
