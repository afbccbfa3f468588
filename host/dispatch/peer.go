package dispatch

import (
	"context"
	"encoding/json"
	"errors"
)

// Peer is the client's end of one request, as the transport offers it:
// notifications that belong to the request (progress, log messages) and,
// where the era and the client allow, requests from server to client
// (elicitation, sampling, roots) answered while the request runs.
//
// The transport sets Request.Peer; nil means nothing can reach the client
// before the result (a client that accepts only application/json), and
// notifications are dropped.
type Peer interface {
	// Notify sends a notification tied to the request. It does not wait for
	// the client to read it; after the request has ended it does nothing.
	Notify(method string, params any) error
	// Request sends a request to the client and waits for its answer: the
	// result as JSON, or the client's JSON-RPC error as a *jsonrpc.Error.
	// ErrNoBackChannel when the request cannot reach the client.
	Request(ctx context.Context, method string, params any) (json.RawMessage, error)
}

// ErrNoBackChannel means a server-to-client request has no way to the client.
var ErrNoBackChannel = errors.New("no channel to send requests to the client")
