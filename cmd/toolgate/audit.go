package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/toolgate/toolgate/host/audit"
)

const auditUsage = `usage: toolgate audit verify FILE...

verify checks audit trail files as one hash chain. Give the rotated files
oldest first, then the current file:

  toolgate audit verify data/audit.log.3 data/audit.log.2 data/audit.log.1 data/audit.log

It prints OK and what it checked, or FAIL and where the chain breaks.
Warnings name breaks the writer recorded itself (a restart after a crash
mid-write). Exit status: 0 intact, 1 broken or unreadable, 2 usage error.
`

// auditCmd runs `toolgate audit verify FILE...`.
func auditCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "verify":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, auditUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "toolgate audit: unknown subcommand %q\n\n%s", args[0], auditUsage)
		return 2
	}
	files := args[1:]
	if len(files) > 0 && files[0] == "--" {
		files = files[1:]
	} else {
		for _, f := range files {
			if strings.HasPrefix(f, "-") {
				fmt.Fprintf(stderr, "toolgate audit verify: unknown flag %s (put -- before a file name that starts with -)\n\n%s", f, auditUsage)
				return 2
			}
		}
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "toolgate audit verify: no files given\n\n%s", auditUsage)
		return 2
	}

	rep, err := audit.Verify(files...)
	if err != nil {
		fmt.Fprintf(stdout, "FAIL: %v\n", err)
		if rep.Records > 0 {
			fmt.Fprintf(stdout, "  the %s before it verified\n", plural(rep.Records, "record"))
		}
	} else {
		fmt.Fprintf(stdout, "OK: %s\n", auditSummary(rep))
		if rep.Records > 0 && !rep.FromStart {
			fmt.Fprintf(stdout, "  the chain starts at seq %d: older files were rotated away or not given\n", rep.FirstSeq)
		}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stdout, "WARNING: %s\n", w)
	}
	if err != nil {
		return 1
	}
	return 0
}

// auditSummary is "1234 records in 3 files, seq 1..1234, FIRST .. LAST".
func auditSummary(rep audit.Report) string {
	s := plural(rep.Records, "record") + " in " + plural(len(rep.Files), "file")
	if rep.Records == 0 {
		return s
	}
	return fmt.Sprintf("%s, seq %d..%d, %s .. %s", s, rep.FirstSeq, rep.LastSeq,
		rep.FirstTime.UTC().Format(time.RFC3339), rep.LastTime.UTC().Format(time.RFC3339))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
