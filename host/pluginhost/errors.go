package pluginhost

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpcError turns a gRPC status into an error that reads well in a log or a
// client message, keeping context cancellation recognisable.
func grpcError(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("%w: %s", context.Canceled, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, st.Message())
	case codes.Unavailable:
		return fmt.Errorf("%w: lost its connection (%s)", ErrUnavailable, st.Message())
	case codes.ResourceExhausted:
		return fmt.Errorf("%w: %s", ErrResultTooLarge, st.Message())
	}
	return fmt.Errorf("%s (%s)", st.Message(), st.Code())
}

// ErrUnavailable means the plugin process cannot be reached: it exited or
// its connection broke.
var ErrUnavailable = errors.New("plugin unavailable")

// ErrResultTooLarge means the plugin's answer passed plugins.max_result_bytes.
var ErrResultTooLarge = errors.New("the result is larger than plugins.max_result_bytes")
