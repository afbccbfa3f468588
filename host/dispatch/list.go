package dispatch

import (
	"encoding/json"

	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// listCommon is what every list result carries besides its entries.
type listCommon struct {
	ResultType string          `json:"resultType,omitempty"`
	NextCursor string          `json:"nextCursor,omitempty"`
	Meta       json.RawMessage `json:"_meta,omitempty"`
	*cacheHints
}

// pageFunc pages through one of the catalog's lists.
type pageFunc[T any] func(cursor string, size int, keep func(T) bool) ([]T, string, error)

// listPage answers one page of prompts/list, resources/list or
// resources/templates/list: in "filter" mode only the entries whose scopes
// the caller holds, each as its pre-encoded definition.
func listPage[T any](s *Server, r *Request, pager pageFunc[T], scopes func(T) []string, def func(T) json.RawMessage) ([]json.RawMessage, listCommon, *jsonrpc.Error) {
	cursor := ""
	if r.Params.Cursor != nil {
		cursor = *r.Params.Cursor
	}
	var keep func(T) bool
	if s.opts.ToolsList == "filter" {
		keep = func(x T) bool { return r.Caller == nil || len(auth.Missing(scopes(x), r.Caller.Scopes)) == 0 }
	}
	page, next, err := pager(cursor, s.opts.PageSize, keep)
	if err != nil {
		return nil, listCommon{}, invalidParams("%s: %v", r.Method, err)
	}
	out := make([]json.RawMessage, len(page))
	for i, x := range page {
		out[i] = def(x)
	}
	return out, s.listCommon(r, next), nil
}

// listCommon fills in the next cursor and, in the 2026-07-28 era, the
// result type, serverInfo and caching hints.
func (s *Server) listCommon(r *Request, next string) listCommon {
	c := listCommon{NextCursor: next}
	if r.Modern {
		c.ResultType = "complete"
		c.Meta = s.serverInfoMeta
		scope := "public"
		if s.opts.ToolsList != "" {
			scope = "private" // the list depends on the caller's token
		}
		c.cacheHints = &cacheHints{TTLMs: listTTL.Milliseconds(), CacheScope: scope}
	}
	return c
}
