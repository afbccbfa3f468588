package sdktest_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

func TestProgressAndLogArriveInOrderBeforeResult(t *testing.T) {
	var finished *sdk.Call
	c := startTools(t, handlerTool("work", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		steps := []func() error{
			func() error { return call.Progress(1, 3, "started") },
			func() error { return call.Log(sdk.LevelInfo, "work", map[string]any{"step": 1}) },
			func() error { return call.Progress(2, 0, "") },
			func() error { return call.Log(sdk.LevelWarning, "work", "almost") },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
		finished = call
		return sdk.TextResult("done"), nil
	}))

	res, events := mustCall(t, c, "work", nil)
	if res.GetIsError() {
		t.Fatalf("got an error result: %v", res)
	}
	three := 3.0
	want := []*toolgatev1.CallToolEvent{
		{Event: &toolgatev1.CallToolEvent_Progress{Progress: &toolgatev1.Progress{Progress: 1, Total: &three, Message: "started"}}},
		{Event: &toolgatev1.CallToolEvent_Log{Log: &toolgatev1.LogMessage{Level: "info", Logger: "work", Data: []byte(`{"step":1}`)}}},
		// A total of zero means unknown: it is left unset.
		{Event: &toolgatev1.CallToolEvent_Progress{Progress: &toolgatev1.Progress{Progress: 2}}},
		{Event: &toolgatev1.CallToolEvent_Log{Log: &toolgatev1.LogMessage{Level: "warning", Logger: "work", Data: []byte(`"almost"`)}}},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d: %v", len(events), len(want), events)
	}
	for i := range want {
		if !proto.Equal(events[i], want[i]) {
			t.Errorf("event %d: got %v, want %v", i, events[i], want[i])
		}
	}

	// The result closed the call: a late report is refused, not sent.
	if err := finished.Progress(3, 3, "late"); err == nil {
		t.Errorf("got no error from Progress after the result, want one")
	}
	if err := finished.Log(sdk.LevelInfo, "work", "late"); err == nil {
		t.Errorf("got no error from Log after the result, want one")
	}
}

func TestLogRefusesDataThatIsNotJSON(t *testing.T) {
	c := startTools(t, handlerTool("log", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		return nil, call.Log(sdk.LevelInfo, "log", func() {})
	}))
	res, events := mustCall(t, c, "log", nil)
	if !res.GetIsError() || len(events) != 0 {
		t.Errorf("got %v with %d events, want an error result and no events", res, len(events))
	}
}
