package main

import (
	"context"
	"errors"

	"github.com/toolgate/toolgate/sdk"
)

// errorTools fail the way a tool should: with a result the model can read,
// isError set, and not with a protocol error.
func errorTools() []sdk.Tool {
	return []sdk.Tool{{
		Name:        "test_error_handling",
		Description: "Always fails; the error reaches the client as a result with isError set.",
		InputSchema: noArguments,
		Annotations: readOnly,
		Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
			// A returned error becomes such a result; sdk.ErrorResult
			// builds one by hand.
			return nil, errors.New("This tool intentionally returns an error for testing")
		},
	}}
}
