// Command toolgate is the Toolgate MCP server.
//
//	toolgate [serve] [--config mcp.toml]   serve MCP (the default command)
//	toolgate check   [--config mcp.toml]   validate the config, start each plugin, print the tools
//	toolgate token   --sub NAME [--scope S] mint a token from the local issuer
//	toolgate hash-password                 hash a password for [[auth.server.users]]
//	toolgate audit verify FILE...          check an audit trail's hash chain
//	toolgate version                       print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host"
)

const usage = `usage: toolgate <command> [flags]

commands:
  serve     serve MCP over Streamable HTTP (the default)
  check     validate the config, start every plugin, print the tool table
  token     mint an access token from the local issuer (auth.local), for testing:
              toolgate token --sub alice --scope "tools:echo files:read" [--ttl 1h]
  hash-password
            print the bcrypt hash of a password read from standard input, for
            password_hash in [[auth.server.users]] or secret_hash in
            [[auth.server.clients]]
  audit     verify audit trail files, oldest first:
              toolgate audit verify data/audit.log.1 data/audit.log
  version   print the version

flags of serve and check:
  --config FILE   the configuration file (default mcp.toml)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "check":
		return check(args, stdout, stderr)
	case "token":
		return token(args, stdout, stderr)
	case "hash-password":
		return hashPassword(args, os.Stdin, stdout, stderr)
	case "audit":
		return auditCmd(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "toolgate", host.BuildVersion())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "toolgate: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// loadConfig parses the flags of serve and check and loads the config.
func loadConfig(name string, args []string, stderr io.Writer) (*config.Config, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "mcp.toml", "the configuration `file`")
	if err := fs.Parse(args); err != nil {
		return nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "toolgate %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, 2
	}
	return loadConfigFile(name, *path, stderr)
}

func loadConfigFile(name, path string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate %s: invalid configuration:\n%v\n", name, err)
		return nil, 1
	}
	return cfg, 0
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated by config.Load
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stderr io.Writer) int {
	cfg, code := loadConfig("serve", args, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Listen first: with port 0 the kernel picks the port, and the
	// server's canonical URL (token audience, metadata) must name it.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		log.Error("cannot listen", "listen", cfg.Server.Listen, "error", err, "hint", "another process may hold the port; change server.listen")
		return 1
	}
	if _, port, _ := net.SplitHostPort(cfg.Server.Listen); port == "0" {
		cfg.Server.Listen = ln.Addr().String()
	}
	h, err := host.Start(ctx, cfg, log)
	if err != nil {
		ln.Close()
		log.Error("cannot start", "error", err)
		return 1
	}
	if err := h.Serve(ctx, ln, cfg.Server.DrainTimeout); err != nil {
		log.Error("stopped with an error", "error", err)
		if errors.Is(err, context.DeadlineExceeded) {
			return 3 // the drain did not complete
		}
		return 1
	}
	log.Info("stopped")
	return 0
}
