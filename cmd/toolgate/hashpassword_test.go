package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword(t *testing.T) {
	var out, errb bytes.Buffer
	if code := hashPassword(nil, strings.NewReader("s3cret pass\nignored\n"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret pass")); err != nil {
		t.Errorf("the hash %q does not match the password: %v", hash, err)
	}
	if strings.Contains(errb.String(), "s3cret") {
		t.Error("the password was echoed")
	}
	for name, in := range map[string]string{"empty": "\n", "too long": strings.Repeat("x", 73)} {
		out.Reset()
		errb.Reset()
		if code := hashPassword(nil, strings.NewReader(in), &out, &errb); code != 1 || out.Len() != 0 {
			t.Errorf("%s: got exit %d, output %q; want 1 and none", name, code, out.String())
		}
	}
	if code := hashPassword([]string{"extra"}, strings.NewReader("x\n"), &out, &errb); code != 2 {
		t.Errorf("an argument: got exit %d, want 2", code)
	}
}
