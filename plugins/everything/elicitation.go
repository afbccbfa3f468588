package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// elicitationTools ask the user to fill in a form while they run, and
// return what the user did with it. Each fails when the client did not
// declare the elicitation capability.
func elicitationTools() []sdk.Tool {
	return []sdk.Tool{
		{
			Name:        "test_elicitation",
			Description: "Shows its message with a form asking for a username and an email address, and returns the answer.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},"required":["message"],"additionalProperties":false}`),
			Annotations: readOnly,
			Handler:     elicitUser,
		},
		{
			Name:        "test_elicitation_sep1034_defaults",
			Description: "Asks for a form whose fields of every primitive type have default values (SEP-1034), and returns the answer.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     elicitFixed("Please review and update the form fields with defaults", defaultsForm, "Elicitation completed"),
		},
		{
			Name:        "test_elicitation_sep1330_enums",
			Description: "Asks for a form with every kind of enum field (SEP-1330), and returns the answer.",
			InputSchema: noArguments,
			Annotations: readOnly,
			Handler:     elicitFixed("Please select options from the enum fields", enumsForm, "Elicitation completed"),
		},
	}
}

// userForm asks for a username and an email address.
var userForm = json.RawMessage(`{
  "type": "object",
  "properties": {
    "username": {"type": "string", "description": "User's response"},
    "email": {"type": "string", "description": "User's email address"}
  },
  "required": ["username", "email"]
}`)

// defaultsForm gives a default to a field of each primitive type: string,
// integer, number, enum and boolean (SEP-1034).
var defaultsForm = json.RawMessage(`{
  "type": "object",
  "properties": {
    "name": {"type": "string", "description": "User name", "default": "John Doe"},
    "age": {"type": "integer", "description": "User age", "default": 30},
    "score": {"type": "number", "description": "User score", "default": 95.5},
    "status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active"},
    "verified": {"type": "boolean", "description": "Verification status", "default": true}
  },
  "required": []
}`)

// enumsForm has each way MCP spells a choice (SEP-1330): a single choice
// without titles (enum), with titles (oneOf of const and title) and with
// the deprecated enumNames; several choices without titles (items.enum) and
// with titles (items.anyOf).
var enumsForm = json.RawMessage(`{
  "type": "object",
  "properties": {
    "untitledSingle": {"type": "string", "description": "Select one option", "enum": ["option1", "option2", "option3"]},
    "titledSingle": {"type": "string", "description": "Select one option with titles", "oneOf": [
      {"const": "value1", "title": "First Option"},
      {"const": "value2", "title": "Second Option"},
      {"const": "value3", "title": "Third Option"}
    ]},
    "legacyEnum": {"type": "string", "description": "Select one option (legacy)", "enum": ["opt1", "opt2", "opt3"],
      "enumNames": ["Option One", "Option Two", "Option Three"]},
    "untitledMulti": {"type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3,
      "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
    "titledMulti": {"type": "array", "description": "Select multiple options with titles", "minItems": 1, "maxItems": 3,
      "items": {"anyOf": [
        {"const": "value1", "title": "First Choice"},
        {"const": "value2", "title": "Second Choice"},
        {"const": "value3", "title": "Third Choice"}
      ]}}
  },
  "required": []
}`)

func elicitUser(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	var in struct {
		Message string `json:"message"`
	}
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	return elicitAndReport(call, in.Message, userForm, "User response")
}

// elicitFixed is a handler that asks for form with message and reports the
// answer after label.
func elicitFixed(message string, form json.RawMessage, label string) sdk.Handler {
	return func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		return elicitAndReport(call, message, form, label)
	}
}

// elicitAndReport asks for the form and reports the answer; like every question, it returns
// sdk.ErrInputRequired until the client has answered, and the handler is
// run again with the answer.
func elicitAndReport(call *sdk.Call, message string, form json.RawMessage, label string) (*sdk.Result, error) {
	res, err := call.Elicit(message, form)
	if err != nil {
		return nil, err
	}
	content, err := json.Marshal(res.Content)
	if err != nil {
		return nil, fmt.Errorf("encoding the user's answer: %w", err)
	}
	if res.Content == nil {
		content = []byte("{}")
	}
	return sdk.TextResult(fmt.Sprintf("%s: action=%s, content=%s", label, res.Action, content)), nil
}
