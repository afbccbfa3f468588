// Package proto holds the plugin contract (toolgate/v1/toolgate.proto) and the
// Go code generated from it. The generated code is committed; regenerate it
// with `go generate ./sdk/proto` after editing the .proto file.
package proto

//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate
