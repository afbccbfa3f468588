package main

import (
	"context"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/sdk"
)

// eventPause is the time between a tool's events. The conformance suite asks
// for a pause so that a client sees the events arrive one by one, while the
// call runs, and not in one batch with the result.
const eventPause = 50 * time.Millisecond

// eventTools report while they run: log messages, progress, or simply take
// long enough for the transport to end and resume the response stream.
func eventTools() []sdk.Tool {
	return []sdk.Tool{
		{
			Name:        "test_tool_with_logging",
			Description: "Sends three info log messages, 50ms apart, then returns.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     withLogging,
		},
		{
			Name: "test_tool_with_progress",
			Description: "Reports progress 0, 50 and 100 of 100, 50ms apart, then returns. " +
				"The host forwards progress only when the request carries a progress token.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     withProgress,
		},
		{
			Name:        "test_logging_tool",
			Description: "Sends one info log message, which the client receives only if it asked for that level.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     logOnce,
		},
		{
			Name: "test_reconnection",
			Description: "Takes a moment before it returns, so that the transport can close the response " +
				"stream mid-call and the client must resume it to receive the result.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     reconnection,
		},
	}
}

// logger names the plugin in the log messages it sends to clients.
const logger = "everything"

func withLogging(ctx context.Context, call *sdk.Call) (*sdk.Result, error) {
	steps := []string{"Tool execution started", "Tool processing data", "Tool execution completed"}
	for i, msg := range steps {
		if i > 0 {
			if err := pause(ctx, eventPause); err != nil {
				return nil, err
			}
		}
		if err := call.Log(sdk.LevelInfo, logger, msg); err != nil {
			return nil, fmt.Errorf("sending log message %d: %w", i+1, err)
		}
	}
	return sdk.TextResult("Tool with logging executed successfully"), nil
}

func withProgress(ctx context.Context, call *sdk.Call) (*sdk.Result, error) {
	const total = 100
	for i, p := range []float64{0, 50, 100} {
		if i > 0 {
			if err := pause(ctx, eventPause); err != nil {
				return nil, err
			}
		}
		if err := call.Progress(p, total, fmt.Sprintf("Completed step %v of %v", p, total)); err != nil {
			return nil, fmt.Errorf("reporting progress %v: %w", p, err)
		}
	}
	return sdk.TextResult("Tool with progress executed successfully"), nil
}

func logOnce(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	if err := call.Log(sdk.LevelInfo, logger, "Diagnostic trace logging activated"); err != nil {
		return nil, fmt.Errorf("sending the log message: %w", err)
	}
	return sdk.TextResult("Logging tool executed successfully"), nil
}

// reconnectionDelay is how long test_reconnection runs: long enough for the
// client to notice a closed stream and come back for the result.
const reconnectionDelay = 500 * time.Millisecond

func reconnection(ctx context.Context, _ *sdk.Call) (*sdk.Result, error) {
	if err := pause(ctx, reconnectionDelay); err != nil {
		return nil, err
	}
	return sdk.TextResult("Reconnection test completed successfully. If you received this, " +
		"the client properly reconnected after stream closure."), nil
}

// pause waits for d, or returns the context's error when the call is
// cancelled first.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
