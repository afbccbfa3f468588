package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/toolgate/toolgate/host/auth/localissuer"
)

// token mints an access token from the local issuer, for local testing.
func token(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "mcp.toml", "the configuration `file`")
	sub := fs.String("sub", "", "the token's subject, e.g. alice (required)")
	scope := fs.String("scope", "", `space-separated scopes, e.g. "tools:echo files:read"`)
	ttl := fs.Duration("ttl", 0, "lifetime (default auth.local.token_ttl)")
	clientID := fs.String("client-id", "toolgate-cli", "the token's client_id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sub == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, `usage: toolgate token --sub NAME [--scope "a b"] [--ttl 1h] [--config mcp.toml]`)
		return 2
	}
	cfg, code := loadConfigFile("token", *path, stderr)
	if cfg == nil {
		return code
	}
	if !cfg.Auth.Local.Enabled {
		fmt.Fprintf(stderr, "toolgate token: %s: auth.local.enabled is false: this server trusts no local issuer, so get a token from its identity provider\n", cfg.File)
		return 1
	}
	if *ttl == 0 {
		*ttl = cfg.Auth.Local.TokenTTL
	}
	if *ttl < time.Second || *ttl > 24*time.Hour {
		fmt.Fprintln(stderr, "toolgate token: --ttl must be between 1s and 24h")
		return 2
	}
	li, err := localissuer.Open(cfg.KeyFilePath(), cfg.LocalIssuerURL())
	if err != nil {
		fmt.Fprintf(stderr, "toolgate token: %v\n", err)
		return 1
	}
	tok, err := li.Mint(localissuer.Token{
		Subject: *sub, ClientID: *clientID, Scopes: strings.Fields(*scope),
		Audience: cfg.CanonicalURL(), TTL: *ttl,
	})
	if err != nil {
		fmt.Fprintf(stderr, "toolgate token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}
