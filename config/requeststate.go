package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// RequestStateKeySize is the length of the request state key: AES-256.
const RequestStateKeySize = 32

const (
	minRequestStateTTL = time.Second
	maxRequestStateTTL = 24 * time.Hour
)

// RequestStateKey reads server.request_state_key_file: the key that seals
// the requestState of 2026-07-28 input_required results, shared by replicas
// so that a retry may reach any of them. Nil without error when no file is
// set: the host then draws a key of its own at start.
func (c *Config) RequestStateKey() ([]byte, error) {
	if c.Server.RequestStateKeyFile == "" {
		return nil, nil
	}
	return readRequestStateKey(resolve(c.Dir, c.Server.RequestStateKeyFile), c.Server.RequestStateKeyFile)
}

// readRequestStateKey reads a key file: 32 bytes in standard base64, as
// `openssl rand -base64 32` writes them. Messages name the file as the
// config does.
func readRequestStateKey(path, name string) ([]byte, error) {
	create := fmt.Sprintf("create one with: openssl rand -base64 32 > %s", name)
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v (%s)", name, err, create)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s does not hold a base64 key (%s)", name, create)
	}
	if len(key) != RequestStateKeySize {
		return nil, fmt.Errorf("%s holds a %d-byte key, want %d (%s)", name, len(key), RequestStateKeySize, create)
	}
	return key, nil
}

// requestState checks the request state settings that need no file.
func (v *validator) requestState(s Server) {
	v.within("server.request_state_ttl", s.RequestStateTTL, minRequestStateTTL, maxRequestStateTTL)
	v.noNUL("server.request_state_key_file", s.RequestStateKeyFile)
}

// checkFiles reads the files a valid config names and the host needs whole
// at start, once the config's directory is known, so that `toolgate check`
// finds a missing or malformed one before a start does.
func (c *Config) checkFiles() []Problem {
	if _, err := c.RequestStateKey(); err != nil {
		return []Problem{{Key: "server.request_state_key_file", Reason: err.Error()}}
	}
	return nil
}
