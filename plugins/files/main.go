// Command files is the Toolgate files plugin: read-only tools that list,
// read and search the files under one directory, and nothing outside it.
package main

import "github.com/toolgate/toolgate/sdk"

func main() {
	sdk.Serve(newPlugin())
}
