//go:build !linux

package sdk

// protectHandshake relies on Linux descriptor handling; elsewhere go-plugin's
// own redirection of os.Stdout is all there is.
func protectHandshake() {}
