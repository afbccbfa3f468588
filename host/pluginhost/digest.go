package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// BinaryDigest returns the hex sha256 of a plugin binary.
func BinaryDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("opening binary: %w (build the plugins with `go build -o bin/ ./...` or fix plugins.path)", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading binary %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
