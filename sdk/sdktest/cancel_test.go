package sdktest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk"
)

func TestHandlerContextEndsWhenCallerCancels(t *testing.T) {
	started := make(chan struct{})
	observed := make(chan error, 1)
	c := startTools(t, handlerTool("wait", func(ctx context.Context, _ *sdk.Call) (*sdk.Result, error) {
		close(started)
		select {
		case <-ctx.Done():
			observed <- ctx.Err()
		case <-time.After(30 * time.Second):
			observed <- errors.New("the context was never cancelled")
		}
		return sdk.TextResult("too late"), nil
	}))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	callErr := make(chan error, 1)
	go func() {
		_, _, err := c.Call(ctx, "wait", nil)
		callErr <- err
	}()
	<-started
	cancel()

	if err := <-callErr; status.Code(err) != codes.Canceled {
		t.Errorf("got call error %v, want code %v", err, codes.Canceled)
	}
	select {
	case err := <-observed:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got handler context error %v, want %v", err, context.Canceled)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not observe the cancellation within 10s")
	}
}
