// Command baseline serves the go-sdk echo server of host/bench/baseline on
// a loopback address, for .ci/bench to load with wrk next to Toolgate. It
// lives under testdata so that `go build ./...` leaves it out of bin/.
//
//	baseline [-listen 127.0.0.1:9100] [-path /mcp]
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/toolgate/toolgate/host/bench/baseline"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9100", "loopback `address` to serve on")
	path := flag.String("path", "/mcp", "`path` of the MCP endpoint")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("baseline: -listen %q: want a loopback ip:port", *listen)
	}
	mux := http.NewServeMux()
	mux.Handle(*path, baseline.Handler())
	// The same timeouts as Toolgate's defaults, so neither server has an
	// advantage from a cheaper connection setup.
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	log.Printf("baseline: serving http://%s%s", *listen, *path)
	log.Fatal(srv.ListenAndServe())
}
