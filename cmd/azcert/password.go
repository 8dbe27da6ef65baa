package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A passwordSource is the parsed form of --password / --in-password,
// following openssl's -passin syntax: pass:TEXT, env:VAR, file:PATH, fd:N,
// stdin, prompt; and for new passwords also generate and none.
type passwordSource struct {
	kind  string // pass, env, file, fd, stdin, prompt, generate, none, literal
	value string
}

const (
	passwordSyntax   = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt, generate or none"
	inPasswordSyntax = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin or prompt"
	// The same lists, as the error for a value that is not a source gives them.
	passwordSyntaxList   = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt, generate, none"
	inPasswordSyntaxList = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt"
)

// errNotSource is what parsePasswordSource answers for a value that is not
// a password source. It says nothing of the value: a bare value given to a
// password flag is most likely the password itself (`--password MyPassw0rd`
// with "pass:" forgotten), so no part of it may reach a message.
var errNotSource = errors.New("not a password source")

// parsePasswordSource parses the syntax; it reads nothing. Its errors never
// quote the value, which may be a password.
func parsePasswordSource(spec string) (passwordSource, error) {
	switch spec {
	case "stdin", "prompt", "generate", "none":
		return passwordSource{kind: spec}, nil
	}
	kind, value, ok := strings.Cut(spec, ":")
	if !ok {
		return passwordSource{}, errNotSource
	}
	switch kind {
	case "pass":
		return passwordSource{kind: kind, value: value}, nil
	case "env", "file":
		if value == "" {
			return passwordSource{}, fmt.Errorf("%s: needs a %s after the colon", kind, map[string]string{"env": "variable name", "file": "path"}[kind])
		}
		return passwordSource{kind: kind, value: value}, nil
	case "fd":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 1<<20 {
			return passwordSource{}, errors.New("fd: needs a file descriptor number after the colon")
		}
		return passwordSource{kind: kind, value: value}, nil
	}
	return passwordSource{}, errNotSource
}

// maxPasswordLine bounds what a password file, descriptor or stdin may hold
// before its first newline.
const maxPasswordLine = 64 << 10

func readFirstLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxPasswordLine+1), 4096)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("the first line is longer than %d bytes", maxPasswordLine)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// passwordRequest describes one password a command needs.
type passwordRequest struct {
	flag          string // "password" or "in-password"
	spec          string // the flag value, "" when not given
	envVar        string // AZCERT_PASSWORD or AZCERT_IN_PASSWORD
	purpose       string // "the new .pfx", "contoso.net.pfx"
	create        bool   // a new password: asked twice, empty refused unless none
	allowGenerate bool
}

func (r passwordRequest) syntaxList() string {
	if r.create {
		if r.allowGenerate {
			return passwordSyntaxList
		}
		return strings.Replace(passwordSyntaxList, "generate, ", "", 1)
	}
	return inPasswordSyntaxList
}

func (r passwordRequest) syntax() string {
	if r.create {
		return passwordSyntax
	}
	return inPasswordSyntax
}

// resolvedPassword is a password and how it was obtained.
type resolvedPassword struct {
	value     string
	generated bool
}

// resolvePassword reads the password a request names.
func (f *factory) resolvePassword(r passwordRequest) (resolvedPassword, error) {
	spec := r.spec
	if spec == "" {
		if v, ok := f.setting(r.envVar); ok {
			return f.checkNew(r, resolvedPassword{value: v}, r.envVar)
		}
		if f.IO.canPrompt() {
			spec = "prompt"
		} else {
			return resolvedPassword{}, withHint(
				usageErrorf("no password for %s and no terminal to ask on: give --%s or set %s", r.purpose, r.flag, r.envVar),
				"--%s takes %s", r.flag, r.syntax())
		}
	}
	src, err := parsePasswordSource(spec)
	if errors.Is(err, errNotSource) {
		return resolvedPassword{}, withHint(usageErrorf("--%s: %w (want %s)", r.flag, err, r.syntaxList()),
			"to give the password itself, write pass:TEXT (visible to other users in the process list), or better env:VAR or file:PATH; see 'azcert help passwords'")
	}
	if err != nil {
		return resolvedPassword{}, usageErrorf("--%s %w", r.flag, err)
	}
	desc := "--" + r.flag + " " + src.kind
	switch src.kind {
	case "pass":
		f.IO.warnf("--%s pass:... puts the password in the process list and shell history; prefer env:VAR, file:PATH or prompt", r.flag)
		return f.checkNew(r, resolvedPassword{value: src.value}, desc)
	case "env":
		v, ok := f.lookupEnv(src.value)
		if !ok {
			return resolvedPassword{}, usageErrorf("--%s env:%s: the variable %s is not set", r.flag, src.value, src.value)
		}
		return f.checkNew(r, resolvedPassword{value: v}, desc+":"+src.value)
	case "file":
		fh, err := os.Open(src.value)
		if err != nil {
			return resolvedPassword{}, inputErrorf("--%s file:%s: %w", r.flag, src.value, unwrapPath(err))
		}
		defer fh.Close()
		v, err := readFirstLine(fh)
		if err != nil {
			return resolvedPassword{}, inputErrorf("--%s file:%s: %w", r.flag, src.value, unwrapPath(err))
		}
		return f.checkNew(r, resolvedPassword{value: v}, desc+":"+src.value)
	case "fd":
		n, _ := strconv.Atoi(src.value)
		fh, err := openFD(n)
		if err != nil {
			return resolvedPassword{}, usageErrorf("--%s fd:%d: %v", r.flag, n, err)
		}
		defer fh.Close()
		v, err := readFirstLine(fh)
		if err != nil {
			return resolvedPassword{}, usageErrorf("--%s fd:%d: %v", r.flag, n, unwrapPath(err))
		}
		return f.checkNew(r, resolvedPassword{value: v}, desc+":"+src.value)
	case "stdin":
		in, err := f.IO.stdin("the password (--" + r.flag + " stdin)")
		if err != nil {
			return resolvedPassword{}, err
		}
		v, err := readFirstLine(in)
		if err != nil {
			return resolvedPassword{}, inputErrorf("--%s stdin: %v", r.flag, err)
		}
		return f.checkNew(r, resolvedPassword{value: v}, desc)
	case "prompt":
		if !f.IO.canPrompt() {
			return resolvedPassword{}, usageErrorf("--%s prompt needs a terminal; use env:VAR, file:PATH or fd:N in scripts", r.flag)
		}
		v, err := f.IO.prompt(fmt.Sprintf("Password for %s: ", r.purpose))
		if err != nil {
			return resolvedPassword{}, err
		}
		if r.create {
			again, err := f.IO.prompt("Repeat the password: ")
			if err != nil {
				return resolvedPassword{}, err
			}
			if again != v {
				return resolvedPassword{}, inputErrorf("the two passwords differ")
			}
		}
		return f.checkNew(r, resolvedPassword{value: v}, "the prompt")
	case "generate":
		if !r.allowGenerate {
			return resolvedPassword{}, usageErrorf("--%s generate only applies when a .pfx is written", r.flag)
		}
		b := make([]byte, 24)
		if _, err := io.ReadFull(rand.Reader, b); err != nil {
			return resolvedPassword{}, fmt.Errorf("generating a password: %w", err)
		}
		return resolvedPassword{value: base64.RawURLEncoding.EncodeToString(b), generated: true}, nil
	case "none":
		return resolvedPassword{}, nil
	}
	return resolvedPassword{}, usageErrorf("--%s: unknown password source", r.flag)
}

// checkNew refuses an empty new password: an empty one must be asked for
// with --password none, so it is never the result of an unset variable or
// an empty file.
func (f *factory) checkNew(r passwordRequest, p resolvedPassword, from string) (resolvedPassword, error) {
	if r.create && p.value == "" {
		return p, withHint(inputErrorf("the password from %s is empty", from), "use --%s none to write a .pfx with an empty password", r.flag)
	}
	return p, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
