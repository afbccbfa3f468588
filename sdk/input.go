package sdk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Asking the client for input works in rounds. A handler asks with Elicit,
// ElicitURL, Sample, Roots or Ask; when the client has already answered that
// question, the answer is returned at once. Otherwise the question is noted
// and ErrInputRequired is returned: the handler returns it (wrapped or not),
// the call ends with the questions, the host gets the client's answers and
// calls the tool again with the same arguments. The handler then runs from
// the top, and this time the same question finds its answer.
//
// A handler therefore runs once per round and should do nothing it cannot
// repeat before its last question is answered. Questions asked in the same
// run before the handler returns go to the client together, so independent
// questions cost one round:
//
//	name, err1 := call.Elicit("Your name?", nameSchema)
//	roots, err2 := call.Roots()
//	if err := errors.Join(err1, err2); err != nil {
//		return nil, err
//	}
//
// What a handler wants to keep from one round to the next (an id it minted,
// work already done) it saves with SaveState and reads back with LoadState.

// ErrInputRequired means the call needs answers from the client before it can
// go on. Return it from the handler; the SDK does the rest.
var ErrInputRequired = errors.New("sdk: the call needs input from the client; return this error from the handler")

// ErrMissingCapability is what a CapabilityError matches with errors.Is.
var ErrMissingCapability = errors.New("sdk: the client lacks a capability")

// CapabilityError means the client did not declare the capability a question
// needs, so it cannot be asked. A handler may fall back to something else;
// returned from the handler, the call fails with an error telling the client
// which capability it lacks.
type CapabilityError struct {
	// Method is the question's method, Capability the capability it needs,
	// as Capability names it.
	Method, Capability string

	request *toolgatev1.InputRequest
	key     string
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("the client did not declare the %s capability, which %s needs", e.Capability, e.Method)
}

// Is makes errors.Is(err, ErrMissingCapability) true.
func (e *CapabilityError) Is(target error) bool { return target == ErrMissingCapability }

// ClientCapabilities are what the client said it can answer.
type ClientCapabilities struct {
	Elicitation    bool // form mode elicitation
	ElicitationURL bool // URL mode elicitation
	Sampling       bool
	Roots          bool
	// Raw is the client's capabilities object as it declared it.
	Raw json.RawMessage
}

// ParseClientCapabilities reads an MCP ClientCapabilities object. A
// malformed one declares nothing, so that questions fail with a
// CapabilityError rather than reach a client that cannot answer them.
func ParseClientCapabilities(raw []byte) ClientCapabilities {
	var c struct {
		Elicitation *struct {
			Form *json.RawMessage `json:"form"`
			URL  *json.RawMessage `json:"url"`
		} `json:"elicitation"`
		Sampling *json.RawMessage `json:"sampling"`
		Roots    *json.RawMessage `json:"roots"`
	}
	_ = json.Unmarshal(raw, &c)
	out := ClientCapabilities{Sampling: c.Sampling != nil, Roots: c.Roots != nil, Raw: raw}
	if e := c.Elicitation; e != nil {
		// An empty elicitation object means form mode only.
		out.Elicitation = e.Form != nil || e.URL == nil
		out.ElicitationURL = e.URL != nil
	}
	return out
}

// Capability names the client capability a request to the client needs:
// "elicitation.form", "elicitation.url", "sampling" or "roots"; "" for a
// method MCP does not define as one.
func Capability(method string, params []byte) string {
	switch method {
	case "elicitation/create":
		var p struct {
			Mode string `json:"mode"`
		}
		_ = json.Unmarshal(params, &p)
		if p.Mode == "url" {
			return "elicitation.url"
		}
		return "elicitation.form"
	case "sampling/createMessage":
		return "sampling"
	case "roots/list":
		return "roots"
	}
	return ""
}

// Has reports whether the client declared a capability named as Capability
// names them.
func (c ClientCapabilities) Has(capability string) bool {
	switch capability {
	case "elicitation.form":
		return c.Elicitation
	case "elicitation.url":
		return c.ElicitationURL
	case "sampling":
		return c.Sampling
	case "roots":
		return c.Roots
	}
	return false
}

// ElicitResult is the user's answer to an elicitation.
type ElicitResult struct {
	// Action is "accept", "decline" or "cancel".
	Action string `json:"action"`
	// Content holds the submitted form when Action is "accept" (form mode).
	Content map[string]any `json:"content,omitempty"`
}

// Accepted reports whether the user submitted the form or agreed to open the URL.
func (r *ElicitResult) Accepted() bool { return r.Action == "accept" }

// Decode decodes the submitted form into v.
func (r *ElicitResult) Decode(v any) error {
	b, err := json.Marshal(r.Content)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// SamplingRequest asks the client's model for a message (sampling/createMessage).
type SamplingRequest struct {
	Messages         []SamplingMessage `json:"messages"`
	SystemPrompt     string            `json:"systemPrompt,omitempty"`
	MaxTokens        int               `json:"maxTokens"`
	Temperature      *float64          `json:"temperature,omitempty"`
	StopSequences    []string          `json:"stopSequences,omitempty"`
	ModelPreferences *ModelPreferences `json:"modelPreferences,omitempty"`
	Metadata         map[string]any    `json:"metadata,omitempty"`
}

// SamplingMessage is one message of a sampling conversation; Content is an
// MCP content block as JSON. UserText and AssistantText build text messages.
type SamplingMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// UserText and AssistantText return a text message from the user or the assistant.
func UserText(s string) SamplingMessage      { return textMessage("user", s) }
func AssistantText(s string) SamplingMessage { return textMessage("assistant", s) }

func textMessage(role, s string) SamplingMessage {
	b, _ := json.Marshal(map[string]string{"type": "text", "text": s})
	return SamplingMessage{Role: role, Content: b}
}

// ModelPreferences are the server's hints for the client's choice of model.
type ModelPreferences struct {
	Hints                []ModelHint `json:"hints,omitempty"`
	CostPriority         *float64    `json:"costPriority,omitempty"`
	SpeedPriority        *float64    `json:"speedPriority,omitempty"`
	IntelligencePriority *float64    `json:"intelligencePriority,omitempty"`
}

type ModelHint struct {
	Name string `json:"name"`
}

// SamplingResult is the client's model's answer.
type SamplingResult struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Model      string          `json:"model"`
	StopReason string          `json:"stopReason,omitempty"`
}

// Text returns the text of the answer's text blocks ("" when it has none).
func (r *SamplingResult) Text() string {
	type block struct {
		Type, Text string
	}
	var one block
	if json.Unmarshal(r.Content, &one) == nil && one.Type == "text" {
		return one.Text
	}
	var many []block
	_ = json.Unmarshal(r.Content, &many)
	out := ""
	for _, b := range many {
		if b.Type == "text" {
			out += b.Text
		}
	}
	return out
}

// Root is a directory or file the client exposes (roots/list).
type Root struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

// Elicit asks the user to fill in a form described by schema, a flat JSON
// Schema object (any value that encodes to one; a json.RawMessage is sent
// as written).
func (in *Input) Elicit(message string, schema any) (*ElicitResult, error) {
	s, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("sdk: encoding the elicitation schema: %w", err)
	}
	// Form mode is the default and older clients know no mode field.
	return askAs[ElicitResult](in, "", "elicitation/create", map[string]any{"message": message, "requestedSchema": json.RawMessage(s)})
}

// ElicitURL asks the user to open url, for what must not pass through the
// client (credentials, payment, a third party's authorization). Acceptance
// means the user agreed to go there, not that they finished.
func (in *Input) ElicitURL(message, url string) (*ElicitResult, error) {
	return askAs[ElicitResult](in, "", "elicitation/create", map[string]any{"mode": "url", "message": message, "url": url})
}

// Sample asks the client's model for a message.
func (in *Input) Sample(req *SamplingRequest) (*SamplingResult, error) {
	return askAs[SamplingResult](in, "", "sampling/createMessage", req)
}

// Roots asks the client for its roots.
func (in *Input) Roots() ([]Root, error) {
	res, err := askAs[struct {
		Roots []Root `json:"roots"`
	}](in, "", "roots/list", struct{}{})
	if err != nil {
		return nil, err
	}
	return res.Roots, nil
}

// Ask is the general form of the questions above: params (encoded as JSON)
// are sent under method, keyed by key, and the client's answer is returned
// as JSON. The typed helpers derive their keys from the question itself;
// Ask lets a plugin choose them.
func (in *Input) Ask(key, method string, params any) (json.RawMessage, error) {
	if key == "" {
		return nil, errors.New("sdk: Ask needs a key")
	}
	return in.ask(key, method, params)
}

func askAs[T any](in *Input, key, method string, params any) (*T, error) {
	raw, err := in.ask(key, method, params)
	if err != nil {
		return nil, err
	}
	var out T
	err = json.Unmarshal(raw, &out)
	if c, ok := any(&out).(interface{ check() error }); ok && err == nil {
		err = c.check()
	}
	if err != nil {
		return nil, fmt.Errorf("the client's answer to %s is malformed: %w", method, err)
	}
	return &out, nil
}

func (r *ElicitResult) check() error {
	switch r.Action {
	case "accept", "decline", "cancel":
		return nil
	}
	return fmt.Errorf("action %q is not accept, decline or cancel", r.Action)
}

func (r *SamplingResult) check() error {
	if r.Role == "" || len(r.Content) == 0 {
		return errors.New("role and content are required")
	}
	return nil
}

// LoadState decodes into v what the handler saved with SaveState in an
// earlier round of this call; false when nothing was saved.
func (in *Input) LoadState(v any) (bool, error) {
	in.mu.Lock()
	raw := in.state
	in.mu.Unlock()
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("sdk: decoding the saved state: %w", err)
	}
	return true, nil
}

// SaveState keeps v (encoded as JSON) for the next round of this call. The
// host keeps it from the client's eyes and hands: it is sealed in the
// 2026-07-28 era and never leaves the host in the session era.
func (in *Input) SaveState(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sdk: encoding the state: %w", err)
	}
	in.mu.Lock()
	in.state = b
	in.mu.Unlock()
	return nil
}

// Input is a request's side of the rounds: what a tool call
// (Call) or a prompt request (PromptRequest) asks the client, and the state
// it keeps from one round to the next.
type Input struct {
	caps ClientCapabilities

	mu sync.Mutex
	// answers holds the answers known this round: those carried over from
	// earlier rounds and the client's latest.
	answers map[string]json.RawMessage
	// used are the answers this run read; only they are carried on.
	used map[string]json.RawMessage
	// pending are the unanswered questions of this run.
	pending map[string]*toolgatev1.InputRequest
	// seen counts each derived key, so the same question asked twice in
	// one run gets two keys.
	seen  map[string]int
	state []byte
}

// carried is what the SDK keeps in the plugin's request_state between rounds.
type carried struct {
	Answers map[string]json.RawMessage `json:"answers,omitempty"`
	State   json.RawMessage            `json:"state,omitempty"`
}

// inputRound is what the host hands a request about its rounds: the
// client's capabilities, the state of the previous round and the client's
// answers to its questions.
type inputRound interface {
	GetClientCapabilities() []byte
	GetRequestState() []byte
	GetInputResponses() map[string][]byte
}

func newInput(req inputRound) *Input {
	in := &Input{
		caps:    ParseClientCapabilities(req.GetClientCapabilities()),
		answers: map[string]json.RawMessage{},
		used:    map[string]json.RawMessage{},
		pending: map[string]*toolgatev1.InputRequest{},
		seen:    map[string]int{},
	}
	var prev carried
	if len(req.GetRequestState()) > 0 && json.Unmarshal(req.GetRequestState(), &prev) == nil {
		for k, v := range prev.Answers {
			in.answers[k] = v
		}
		in.state = prev.State
	}
	for k, v := range req.GetInputResponses() {
		in.answers[k] = v
	}
	return in
}

func (in *Input) ask(key, method string, params any) (json.RawMessage, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("sdk: encoding the %s params: %w", method, err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if key == "" {
		key = in.deriveKey(method, p)
	}
	if a, ok := in.answers[key]; ok {
		in.used[key] = a
		return a, nil
	}
	req := &toolgatev1.InputRequest{Method: method, Params: p}
	if capability := in.missing(method, p); capability != "" {
		return nil, &CapabilityError{Method: method, Capability: capability, request: req, key: key}
	}
	in.pending[key] = req
	return nil, ErrInputRequired
}

// deriveKey names a question after its method and content, so the same
// question gets the same key in every round whatever else the handler asks.
func (in *Input) deriveKey(method string, params []byte) string {
	sum := sha256.Sum256(append([]byte(method+"\x00"), params...))
	base := map[string]string{"elicitation/create": "elicit", "sampling/createMessage": "sample", "roots/list": "roots"}[method]
	if base == "" {
		base = "ask"
	}
	base += "-" + hex.EncodeToString(sum[:6])
	n := in.seen[base]
	in.seen[base] = n + 1
	if n == 0 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, n+1)
}

// missing names the capability a question needs that the client lacks, or
// "". A method MCP does not define is left for the host to refuse.
func (in *Input) missing(method string, params []byte) string {
	if c := Capability(method, params); c != "" && !in.caps.Has(c) {
		return c
	}
	return ""
}

// questions turns a handler's error into the questions to put to the
// client and the state to carry to the next round, or returns false when
// the error is an ordinary failure.
func (in *Input) questions(err error) (reqs map[string]*toolgatev1.InputRequest, state []byte, ok bool) {
	var capErr *CapabilityError
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case errors.As(err, &capErr):
		// Sent on as a question, so the host tells the client in its own
		// terms which capability is missing.
		return map[string]*toolgatev1.InputRequest{capErr.key: capErr.request}, nil, true
	case errors.Is(err, ErrInputRequired) && len(in.pending) > 0:
		state, _ := json.Marshal(carried{Answers: in.used, State: in.state})
		return in.pending, state, true
	}
	return nil, nil, false
}
