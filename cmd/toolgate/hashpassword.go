package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// hashPassword prints the bcrypt hash of a password read from standard
// input, for password_hash of [[auth.server.users]] and secret_hash of
// [[auth.server.clients]]. On a terminal the password is not echoed; from
// a pipe, the first line is the password.
func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: toolgate hash-password   (reads the password from standard input)")
		return 2
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate hash-password: reading the password: %v\n", err)
		return 1
	}
	switch {
	case password == "":
		fmt.Fprintln(stderr, "toolgate hash-password: the password is empty")
		return 1
	case len(password) > 72:
		// bcrypt reads at most 72 bytes; a longer one would be cut short.
		fmt.Fprintln(stderr, "toolgate hash-password: the password is longer than 72 bytes, the most bcrypt uses")
		return 1
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintf(stderr, "toolgate hash-password: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, string(hash))
	return 0
}

func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
