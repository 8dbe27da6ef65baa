// Package secret reads the passwords and tokens azcert is given, in one
// syntax wherever a password is read (openssl's -passin, extended):
// pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt, and for a new .pfx
// also generate and none. Nothing here ever quotes a value: a bare value
// given to a password flag is most likely the password itself.
package secret

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

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// A Source is the parsed form of --password / --in-password,
// following openssl's -passin syntax: pass:TEXT, env:VAR, file:PATH, fd:N,
// stdin, prompt; and for new passwords also generate and none.
type Source struct {
	Kind  string // pass, env, file, fd, stdin, prompt, generate, none, literal
	Value string
}

const (
	Syntax   = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt, generate or none"
	InSyntax = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin or prompt"
	// The same lists, as the error for a value that is not a source gives them.
	SyntaxList   = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt, generate, none"
	InSyntaxList = "pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt"
)

// ErrNotSource is what Parse answers for a value that is not
// a password source. It says nothing of the value: a bare value given to a
// password flag is most likely the password itself (`--password MyPassw0rd`
// with "pass:" forgotten), so no part of it may reach a message.
var ErrNotSource = errors.New("not a password source")

// Parse parses the syntax; it reads nothing. Its errors never
// quote the value, which may be a password.
func Parse(spec string) (Source, error) {
	switch spec {
	case "stdin", "prompt", "generate", "none":
		return Source{Kind: spec}, nil
	}
	Kind, value, ok := strings.Cut(spec, ":")
	if !ok {
		return Source{}, ErrNotSource
	}
	switch Kind {
	case "pass":
		return Source{Kind: Kind, Value: value}, nil
	case "env", "file":
		if value == "" {
			return Source{}, fmt.Errorf("%s: needs a %s after the colon", Kind, map[string]string{"env": "variable name", "file": "path"}[Kind])
		}
		return Source{Kind: Kind, Value: value}, nil
	case "fd":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 1<<20 {
			return Source{}, errors.New("fd: needs a file descriptor number after the colon")
		}
		return Source{Kind: Kind, Value: value}, nil
	}
	return Source{}, ErrNotSource
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

// Request describes one password a command needs.
type Request struct {
	Flag          string // "password" or "in-password"
	Spec          string // the flag value, "" when not given
	EnvVar        string // AZCERT_PASSWORD or AZCERT_IN_PASSWORD
	Purpose       string // "the new .pfx", "contoso.net.pfx"
	Create        bool   // a new password: asked twice, empty refused unless none
	AllowGenerate bool
	// Noun is what is read, in messages: "password" when "", or
	// "token" for --access-token.
	Noun string
}

func (r Request) noun() string {
	if r.Noun == "" {
		return "password"
	}
	return r.Noun
}

func (r Request) syntaxList() string {
	if r.Create {
		if r.AllowGenerate {
			return SyntaxList
		}
		return strings.Replace(SyntaxList, "generate, ", "", 1)
	}
	return InSyntaxList
}

func (r Request) syntax() string {
	if r.Create {
		return Syntax
	}
	return InSyntax
}

// Password is a password and how it was obtained.
type Password struct {
	Value     string
	Generated bool
}

// Resolve reads the password a request names: the flag's source, else the
// request's AZCERT_* variable (which holds the password itself), else a
// prompt on a terminal.
func Resolve(f *cmdutil.Factory, r Request) (Password, error) {
	spec := r.Spec
	if spec == "" {
		if v, ok := f.Setting(r.EnvVar); ok {
			return checkNew(r, Password{Value: v}, r.EnvVar)
		}
		if f.IO.CanPrompt() {
			spec = "prompt"
		} else {
			return Password{}, cmdutil.WithHint(
				cmdutil.UsageErrorf("no %s for %s and no terminal to ask on: give --%s or set %s", r.noun(), r.Purpose, r.Flag, r.EnvVar),
				"--%s takes %s", r.Flag, r.syntax())
		}
	}
	src, err := r.parse(spec)
	if err != nil {
		return Password{}, err
	}
	desc := "--" + r.Flag + " " + src.Kind
	switch src.Kind {
	case "pass":
		f.IO.Warnf("--%s pass:... puts the %s in the process list and shell history; prefer env:VAR, file:PATH or prompt", r.Flag, r.noun())
		return checkNew(r, Password{Value: src.Value}, desc)
	case "env":
		v, ok := f.LookupEnv(src.Value)
		if !ok {
			return Password{}, cmdutil.UsageErrorf("--%s env:%s: the variable %s is not set", r.Flag, src.Value, src.Value)
		}
		return checkNew(r, Password{Value: v}, desc+":"+src.Value)
	case "file":
		v, err := fromFile(r, src.Value)
		if err != nil {
			return Password{}, err
		}
		return checkNew(r, Password{Value: v}, desc+":"+src.Value)
	case "fd":
		v, err := fromFD(r, src.Value)
		if err != nil {
			return Password{}, err
		}
		return checkNew(r, Password{Value: v}, desc+":"+src.Value)
	case "stdin":
		in, err := f.IO.Stdin("the " + r.noun() + " (--" + r.Flag + " stdin)")
		if err != nil {
			return Password{}, err
		}
		v, err := readFirstLine(in)
		if err != nil {
			return Password{}, cmdutil.InputErrorf("--%s stdin: %v", r.Flag, err)
		}
		return checkNew(r, Password{Value: v}, desc)
	case "prompt":
		v, err := fromPrompt(f, r)
		if err != nil {
			return Password{}, err
		}
		return checkNew(r, Password{Value: v}, "the prompt")
	case "generate":
		return generate(r)
	case "none":
		return Password{}, nil
	}
	return Password{}, cmdutil.UsageErrorf("--%s: unknown password source", r.Flag)
}

// parse parses spec as the source of r's flag, with the usage error
// Resolve gives for a value that is not a source.
func (r Request) parse(spec string) (Source, error) {
	src, err := Parse(spec)
	if errors.Is(err, ErrNotSource) {
		return src, cmdutil.WithHint(cmdutil.UsageErrorf("--%s: %w (want %s)", r.Flag, err, r.syntaxList()),
			"to give the %s itself, write pass:TEXT (visible to other users in the process list), or better env:VAR or file:PATH; see 'azcert help passwords'", r.noun())
	}
	if err != nil {
		return src, cmdutil.UsageErrorf("--%s %w", r.Flag, err)
	}
	return src, nil
}

// Check refuses a flag value that is not a source, as Resolve would, but
// reads nothing: for a password that may never be needed (a .cer given
// where a .pfx could be), so a mistyped flag is never silently ignored.
func Check(r Request) error {
	if r.Spec == "" {
		return nil
	}
	_, err := r.parse(r.Spec)
	return err
}

// fromFile reads the first line of a file:PATH source.
func fromFile(r Request, path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", cmdutil.InputErrorf("--%s file:%s: %w", r.Flag, path, UnwrapPath(err))
	}
	defer fh.Close()
	v, err := readFirstLine(fh)
	if err != nil {
		return "", cmdutil.InputErrorf("--%s file:%s: %w", r.Flag, path, UnwrapPath(err))
	}
	return v, nil
}

// fromFD reads the first line of an fd:N source.
func fromFD(r Request, num string) (string, error) {
	n, _ := strconv.Atoi(num)
	fh, err := openFD(n)
	if err != nil {
		return "", cmdutil.UsageErrorf("--%s fd:%d: %v", r.Flag, n, err)
	}
	defer fh.Close()
	v, err := readFirstLine(fh)
	if err != nil {
		return "", cmdutil.UsageErrorf("--%s fd:%d: %v", r.Flag, n, UnwrapPath(err))
	}
	return v, nil
}

// fromPrompt asks on the terminal, twice for a new password.
func fromPrompt(f *cmdutil.Factory, r Request) (string, error) {
	if !f.IO.CanPrompt() {
		return "", cmdutil.UsageErrorf("--%s prompt needs a terminal; use env:VAR, file:PATH or fd:N in scripts", r.Flag)
	}
	v, err := f.IO.Prompt(fmt.Sprintf("%s for %s: ", strings.ToUpper(r.noun()[:1])+r.noun()[1:], r.Purpose))
	if err != nil {
		return "", err
	}
	if r.Create {
		again, err := f.IO.Prompt("Repeat the password: ")
		if err != nil {
			return "", err
		}
		if again != v {
			return "", cmdutil.InputErrorf("the two passwords differ")
		}
	}
	return v, nil
}

// generate makes a strong random password: 24 random bytes, base64url.
func generate(r Request) (Password, error) {
	if !r.AllowGenerate {
		return Password{}, cmdutil.UsageErrorf("--%s generate only applies when a .pfx is written", r.Flag)
	}
	b := make([]byte, 24)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return Password{}, fmt.Errorf("generating a password: %w", err)
	}
	return Password{Value: base64.RawURLEncoding.EncodeToString(b), Generated: true}, nil
}

// checkNew refuses an empty new password: an empty one must be asked for
// with --password none, so it is never the result of an unset variable or
// an empty file.
func checkNew(r Request, p Password, from string) (Password, error) {
	if r.Create && p.Value == "" {
		return p, cmdutil.WithHint(cmdutil.InputErrorf("the password from %s is empty", from), "use --%s none to write a .pfx with an empty password", r.Flag)
	}
	return p, nil
}

// UnwrapPath drops the *os.PathError around err: messages name the path already.
func UnwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
