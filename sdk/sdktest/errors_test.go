package sdktest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

func TestReturnedErrorBecomesErrorResult(t *testing.T) {
	c := startTools(t, handlerTool("fail", func(context.Context, *sdk.Call) (*sdk.Result, error) {
		return nil, errors.New("the disk is full")
	}))
	res, _ := mustCall(t, c, "fail", nil)
	if !res.GetIsError() {
		t.Errorf("got isError false, want true")
	}
	if got := sdktest.Text(res); got != "the disk is full" {
		t.Errorf("got text %q, want %q", got, "the disk is full")
	}
}

func TestPanicBecomesErrorResultAndPluginServesOn(t *testing.T) {
	c := startTools(t, okTool, handlerTool("boom", func(context.Context, *sdk.Call) (*sdk.Result, error) {
		panic("index out of range")
	}))
	for i := range 2 {
		res, _ := mustCall(t, c, "boom", nil)
		if !res.GetIsError() {
			t.Fatalf("call %d: got isError false, want true", i)
		}
		text := sdktest.Text(res)
		if !strings.Contains(text, "internal error") {
			t.Errorf("call %d: got text %q, want it to say internal error", i, text)
		}
		// The panic value may hold anything; only the plugin's log sees it.
		if strings.Contains(text, "index out of range") {
			t.Errorf("call %d: got text %q, want the panic value kept out of it", i, text)
		}
		if res, _ := mustCall(t, c, "ok", nil); res.GetIsError() || sdktest.Text(res) != "ok" {
			t.Errorf("call %d: got %v after the panic, want an ok result", i, res)
		}
	}
}

func TestNilResultIsEmptySuccess(t *testing.T) {
	c := startTools(t, handlerTool("nothing", func(context.Context, *sdk.Call) (*sdk.Result, error) {
		return nil, nil
	}))
	res, _ := mustCall(t, c, "nothing", nil)
	if res.GetIsError() || len(res.GetContent()) != 0 {
		t.Errorf("got %v, want an empty successful result", res)
	}
}

func TestUnencodableResultBecomesErrorResult(t *testing.T) {
	c := startTools(t, handlerTool("bad", func(context.Context, *sdk.Call) (*sdk.Result, error) {
		return &sdk.Result{Meta: map[string]any{"ch": make(chan int)}}, nil
	}))
	res, _ := mustCall(t, c, "bad", nil)
	if !res.GetIsError() || !strings.Contains(sdktest.Text(res), "invalid result") {
		t.Errorf("got %v, want an error result saying the result is invalid", res)
	}
}

func TestUnknownToolIsNotFound(t *testing.T) {
	c := startTools(t, okTool)
	_, _, err := c.Call(t.Context(), "nope", nil)
	if got := status.Code(err); got != codes.NotFound {
		t.Errorf("got code %v (%v), want %v", got, err, codes.NotFound)
	}
}
