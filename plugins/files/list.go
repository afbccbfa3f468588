package main

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/toolgate/toolgate/sdk"
)

type listInput struct {
	Path string `json:"path,omitempty" jsonschema:"default=.,description=The directory to list relative to the root."`
}

type listOutput struct {
	Path      string  `json:"path" jsonschema:"description=The directory listed relative to the root."`
	Entries   []entry `json:"entries" jsonschema:"description=The directory's entries sorted by name."`
	Truncated bool    `json:"truncated" jsonschema:"description=True when the directory holds more entries than the plugin's max_results and only the first are listed."`
}

type entry struct {
	Name string `json:"name"`
	Type string `json:"type" jsonschema:"enum=file,enum=dir,enum=symlink,enum=other"`
	Size int64  `json:"size" jsonschema:"description=The size in bytes of a file; 0 for other types."`
}

func (f *files) listTool() sdk.Tool {
	return sdk.Typed(sdk.Tool{
		Name:        "list_directory",
		Title:       "List directory",
		Description: "Lists the entries of a directory under the files root with their type and size. Symbolic links are listed, not followed.",
		Annotations: annotations(),
		Scopes:      scopes,
	}, func(_ context.Context, _ *sdk.Call, in listInput) (listOutput, error) {
		t, err := f.loaded()
		if err != nil {
			return listOutput{}, err
		}
		out, err := t.list(in.Path)
		if err != nil {
			return listOutput{}, fmt.Errorf("list_directory: %w", err)
		}
		return out, nil
	})
}

func (t *tree) list(p string) (listOutput, error) {
	name, err := localName(p)
	if err != nil {
		return listOutput{}, err
	}
	dirents, err := fs.ReadDir(t.fsys, name)
	if err != nil {
		return listOutput{}, fsError(name, err)
	}
	// A nil slice would encode as null, which the output schema refuses.
	out := listOutput{Path: name, Entries: make([]entry, 0, min(len(dirents), t.maxResults))}
	for _, d := range dirents {
		if len(out.Entries) == t.maxResults {
			out.Truncated = true
			break
		}
		e := entry{Name: d.Name(), Type: entryType(d.Type())}
		if e.Type == "file" {
			// The entry may be gone by now; it is still listed, without a size.
			if info, err := d.Info(); err == nil {
				e.Size = info.Size()
			}
		}
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}

func entryType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "other"
}
