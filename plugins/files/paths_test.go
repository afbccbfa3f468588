package main

import "testing"

func TestLocalName(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"", ".", ""},
		{".", ".", ""},
		{"a", "a", ""},
		{"a/b/", "a/b", ""},
		{"./a//b", "a/b", ""},
		{"a/../b", "b", ""},
		{"a/..", ".", ""},
		{"..", "", "..: leads outside the root"},
		{"../a", "", "../a: leads outside the root"},
		{"a/../../b", "", "a/../../b: leads outside the root"},
		{"/", "", "/: is absolute; paths are relative to the root"},
		{"/etc/passwd", "", "/etc/passwd: is absolute; paths are relative to the root"},
		{"a\x00b", "", "a\x00b: contains a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := localName(tt.in)
			var gotErr string
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("got %q, %q; want %q, %q", got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}
