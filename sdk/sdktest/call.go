package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// callSeq numbers the request ids of calls, so a plugin's logs can tell them apart.
var callSeq atomic.Int64

// Call calls the tool name with args encoded as JSON (nil sends "{}"; a
// json.RawMessage is sent exactly as written, even when it is not valid JSON).
// It returns the result and, in the order they arrived, the progress and log
// events that came before it. The error is a gRPC status error when the call
// failed as a whole (an unknown tool, a cancelled context), or says how the
// plugin broke the contract (no result, events after the result).
//
// Unlike the host, Call does not validate args against the input schema, so
// a test can send what a schema would have refused.
func (c *Client) Call(ctx context.Context, name string, args any) (*toolgatev1.CallToolResult, []*toolgatev1.CallToolEvent, error) {
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, nil, err
	}
	return c.CallRequest(ctx, &toolgatev1.CallToolRequest{
		Name:      name,
		Arguments: raw,
		RequestId: fmt.Sprintf("sdktest-%d", callSeq.Add(1)),
	})
}

// CallRequest is Call with a request of the test's making, for a caller,
// a request id or arguments Call would not send.
func (c *Client) CallRequest(ctx context.Context, req *toolgatev1.CallToolRequest) (*toolgatev1.CallToolResult, []*toolgatev1.CallToolEvent, error) {
	ctx, cancel := context.WithCancel(ctx)
	// Ending the stream early (on an error below) must not leave it open.
	defer cancel()
	stream, err := c.rpc.CallTool(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	var events []*toolgatev1.CallToolEvent
	for {
		ev, err := stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			return nil, events, fmt.Errorf("sdktest: %s: the stream ended without a result", req.GetName())
		case err != nil:
			return nil, events, err
		case ev.GetEvent() == nil:
			return nil, events, fmt.Errorf("sdktest: %s: an event with nothing in it", req.GetName())
		}
		res := ev.GetResult()
		if res == nil {
			events = append(events, ev)
			continue
		}
		// The contract says the result is the stream's last event.
		if extra, err := stream.Recv(); !errors.Is(err, io.EOF) {
			if err != nil {
				return res, events, fmt.Errorf("sdktest: %s: after the result: %w", req.GetName(), err)
			}
			return res, events, fmt.Errorf("sdktest: %s: an event after the result: %v", req.GetName(), extra)
		}
		return res, events, nil
	}
}

func encodeArgs(args any) ([]byte, error) {
	switch a := args.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		return a, nil
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("sdktest: encoding the arguments: %w", err)
	}
	return b, nil
}

// Text returns the text blocks of a result joined by newlines, which is what
// most assertions about a tool's answer need.
func Text(r *toolgatev1.CallToolResult) string {
	var parts []string
	for _, c := range r.GetContent() {
		if t := c.GetText(); t != nil {
			parts = append(parts, t.GetText())
		}
	}
	return strings.Join(parts, "\n")
}
