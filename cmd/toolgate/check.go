package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/toolgate/toolgate/host"
)

// check validates the config, starts every plugin, prints the tool table
// and stops the plugins again. Any problem makes it exit non-zero.
func check(args []string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig("check", args, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(cfg.Log, stderr).With("command", "check")
	if cfg.Log.Level != "debug" {
		// Plugin start lines would bury the table; problems still print.
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	h, err := host.Start(context.Background(), cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate check: %v\n", err)
		return 1
	}
	defer h.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tPLUGIN\tSCOPES\tTIMEOUT")
	for _, t := range h.Tools() {
		scopes := strings.Join(t.Scopes, " ")
		if scopes == "" {
			scopes = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Plugin, scopes, t.Timeout)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%s: OK, %d plugins, %d tools\n", cfg.File, len(cfg.Plugins), len(h.Tools()))
	return 0
}
