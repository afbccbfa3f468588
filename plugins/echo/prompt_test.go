package main

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestEchoPrompt(t *testing.T) {
	c := startEcho(t)
	ps := c.Prompts()
	if len(ps) != 1 || ps[0].GetName() != "echo_prompt" || ps[0].GetDescription() == "" ||
		len(ps[0].GetArguments()) != 1 || ps[0].GetArguments()[0].GetName() != "message" || !ps[0].GetArguments()[0].GetRequired() {
		t.Fatalf("got prompts %v, want echo_prompt(message) with a description", ps)
	}
	res, err := c.GetPrompt(t.Context(), "echo_prompt", map[string]string{"message": "héllo"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.GetMessages()
	if len(m) != 1 || m[0].GetRole() != "user" || m[0].GetContent().GetText().GetText() != "Please echo this message back: héllo" {
		t.Errorf("got messages %v", m)
	}
	_, err = c.GetPrompt(t.Context(), "echo_prompt", map[string]string{"message": ""})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "message must not be empty") {
		t.Errorf("got %v for an empty message, want InvalidArgument saying so", err)
	}
}
