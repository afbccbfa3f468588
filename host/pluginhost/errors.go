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

// Refusal is a plugin's own answer that it cannot serve a prompt, resource
// or completion request: what was asked for does not exist (NotFound), or
// the arguments do not fit. Message is the plugin's, meant for the client.
type Refusal struct {
	NotFound bool
	Message  string
}

func (r *Refusal) Error() string { return r.Message }

// requestError is grpcError for the calls answered with one message, which
// keeps the plugin's refusals apart from its failures.
func requestError(err error) error {
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.NotFound:
			return &Refusal{NotFound: true, Message: st.Message()}
		case codes.InvalidArgument:
			return &Refusal{Message: st.Message()}
		}
	}
	return grpcError(err)
}
