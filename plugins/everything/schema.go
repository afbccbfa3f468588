package main

import (
	"context"
	"encoding/json"

	"github.com/toolgate/toolgate/sdk"
)

// contactSchema uses the JSON Schema 2020-12 keywords a host must publish
// unchanged: $schema, $defs with an $anchor and a $ref to it, the
// composition keywords allOf and anyOf, the conditional if, then and else,
// and additionalProperties. A caller gives a phone number or an email
// address, and the one contactMethod names.
var contactSchema = json.RawMessage(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {
    "address": {
      "$anchor": "addressDef",
      "type": "object",
      "properties": {
        "street": {"type": "string"},
        "city": {"type": "string"}
      }
    }
  },
  "properties": {
    "name": {"type": "string"},
    "address": {"$ref": "#/$defs/address"},
    "contactMethod": {"type": "string", "enum": ["phone", "email"]},
    "phone": {"type": "string"},
    "email": {"type": "string"}
  },
  "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
  "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
  "then": {"required": ["phone"]},
  "else": {"required": ["email"]},
  "additionalProperties": false
}`)

// schemaTools show input schemas written by hand rather than derived from a
// Go type with sdk.Typed.
func schemaTools() []sdk.Tool {
	return []sdk.Tool{{
		Name:        "json_schema_2020_12_tool",
		Description: "Tool with JSON Schema 2020-12 features",
		InputSchema: contactSchema,
		Annotations: readOnly,
		Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			// The host has checked the arguments against the schema; the
			// tool only shows what arrived.
			args := string(call.Arguments)
			if args == "" {
				args = "{}"
			}
			return sdk.TextResult("Received arguments: " + args), nil
		},
	}, {
		Name: "test_header_param",
		Description: "Tool whose region argument is mirrored into the Mcp-Param-Region header (x-mcp-header); " +
			"the host refuses a 2026-07-28 call whose header and body disagree",
		InputSchema: regionSchema,
		Annotations: readOnly,
		Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			var in struct {
				Region string `json:"region"`
			}
			if err := call.Decode(&in); err != nil {
				return nil, err
			}
			return sdk.TextResult("Region: " + in.Region), nil
		},
	}}
}

// regionSchema marks region with x-mcp-header: 2026-07-28 clients send its
// value in the Mcp-Param-Region header too, so that a proxy can route on it
// without reading the body.
var regionSchema = json.RawMessage(`{
  "type": "object",
  "properties": {"region": {"type": "string", "x-mcp-header": "Region"}},
  "required": ["region"],
  "additionalProperties": false
}`)
