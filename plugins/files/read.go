package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/toolgate/toolgate/sdk"
)

type readInput struct {
	Path string `json:"path" jsonschema:"minLength=1,description=The file to read relative to the root."`
}

func (f *files) readTool() sdk.Tool {
	return sdk.Typed(sdk.Tool{
		Name:  "read_file",
		Title: "Read file",
		Description: "Reads a file under the files root. Text comes back as text, images as image content, " +
			"other binary files as an embedded resource with a guessed MIME type.",
		Annotations: annotations(),
		Scopes:      scopes,
	}, func(_ context.Context, _ *sdk.Call, in readInput) (*sdk.Result, error) {
		t, err := f.loaded()
		if err != nil {
			return nil, err
		}
		res, err := t.read(in.Path)
		if err != nil {
			return nil, fmt.Errorf("read_file: %w", err)
		}
		return res, nil
	})
}

func (t *tree) read(p string) (*sdk.Result, error) {
	name, err := localName(p)
	if err != nil {
		return nil, err
	}
	// Checking before opening keeps a FIFO or device from being opened.
	info, err := t.root.Stat(name)
	if err != nil {
		return nil, fsError(name, err)
	}
	if err := t.readable(name, info); err != nil {
		return nil, err
	}
	file, err := t.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, fsError(name, err)
	}
	defer file.Close()
	// The name may have been pointed at another file since the Stat above;
	// what counts is the file now open.
	if info, err = file.Stat(); err != nil {
		return nil, fsError(name, err)
	}
	if err := t.readable(name, info); err != nil {
		return nil, err
	}
	data, err := readAtMost(file, t.maxFileBytes)
	switch {
	case errors.Is(err, errTooBig):
		return nil, newPathError(name, fmt.Sprintf("grew past the limit of %d bytes while being read", t.maxFileBytes))
	case err != nil:
		return nil, fsError(name, err)
	}
	return &sdk.Result{Content: []sdk.Content{fileContent(name, data)}}, nil
}

// readable refuses what read_file must not read: anything but a regular
// file, and files over the size limit.
func (t *tree) readable(name string, info fs.FileInfo) error {
	switch {
	case info.IsDir():
		return newPathError(name, "is a directory; use list_directory")
	case !info.Mode().IsRegular():
		return newPathError(name, "is not a regular file")
	case info.Size() > t.maxFileBytes:
		return newPathError(name, fmt.Sprintf("is %d bytes, over the limit of %d bytes", info.Size(), t.maxFileBytes))
	}
	return nil
}

var errTooBig = errors.New("over the size limit")

// readAtMost reads r to its end, or fails with errTooBig once it has given
// more than limit bytes: a file that grows after its size was checked is
// still never read past the limit.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	n := limit
	if n < math.MaxInt64 {
		n++ // one byte more tells "exactly at the limit" from "over it"
	}
	data, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooBig
	}
	return data, nil
}

// fileContent picks the content block for a file's bytes: text when they
// are UTF-8 without NUL bytes, an image when they look like one, and an
// embedded blob otherwise.
func fileContent(name string, data []byte) sdk.Content {
	if utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
		return sdk.Text(string(data))
	}
	// Sniffing trusts the bytes over the name: a .png holding text is not
	// an image a client could show.
	sniffed := http.DetectContentType(data)
	if strings.HasPrefix(sniffed, "image/") {
		return &sdk.ImageContent{Data: data, MIMEType: sniffed}
	}
	mimeType := mime.TypeByExtension(path.Ext(name))
	if mimeType == "" {
		mimeType = sniffed
	}
	return &sdk.EmbeddedResource{URI: resourceURI(name), MIMEType: mimeType, Blob: data}
}

// resourceURI names a file by its path under the root, in a scheme of its
// own: a file: URI would claim a place on the host that it is not.
func resourceURI(name string) string {
	return (&url.URL{Scheme: "files", Path: "/" + name}).String()
}
