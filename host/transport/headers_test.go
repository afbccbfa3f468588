package transport

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeHeaderValue(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "echo", want: "echo"},
		{in: "get weather", want: "get weather"},
		{in: "=?base64?SGVsbG8sIOS4lueVjA==?=", want: "Hello, 世界"},
		{in: "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", want: "=?base64?literal?="},
		{in: "=?base64?not base64?=", wantErr: true},
		{in: "bad\x01char", wantErr: true},
		{in: "caf\xc3\xa9", wantErr: true},                       // raw non-ASCII must be base64-wrapped
		{in: "=?BASE64?ZWNobw==?=", want: "=?BASE64?ZWNobw==?="}, // markers are case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := decodeHeaderValue(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeHeaderValue(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("decodeHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAcceptsMCP(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{[]string{"application/json, text/event-stream"}, true},
		{[]string{"application/json", "text/event-stream"}, true},
		{[]string{"text/event-stream;q=0.9, application/json;q=1"}, true},
		{[]string{"*/*"}, true},
		{[]string{"application/json"}, false},
		{[]string{"text/event-stream"}, false},
		{nil, false},
		{[]string{"application/jsonx, text/event-stream"}, false},
	}
	for _, tt := range tests {
		if got := acceptsMCP(tt.accept); got != tt.want {
			t.Errorf("acceptsMCP(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

// FuzzDecodeHeaderValue checks that header decoding never panics, that a
// plain value it accepts is a valid header value, and that any UTF-8 string
// survives the base64 form.
func FuzzDecodeHeaderValue(f *testing.F) {
	for _, s := range []string{"echo", "=?base64?SGVsbG8=?=", "=?base64??=", "=?base64?", "a\tb", "\x00", "?=", "=?base64?=?="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := decodeHeaderValue(v)
		if err == nil && !strings.HasPrefix(v, "=?base64?") {
			for i := 0; i < len(got); i++ {
				if c := got[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
					t.Fatalf("accepted %q with byte 0x%02x", v, c)
				}
			}
		}
		if !utf8.ValidString(v) {
			return
		}
		wrapped := "=?base64?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		if back, err := decodeHeaderValue(wrapped); err != nil || back != v {
			t.Fatalf("round trip of %q: got %q, %v", v, back, err)
		}
	})
}
