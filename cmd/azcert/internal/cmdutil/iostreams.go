package cmdutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fatih/color"
	"golang.org/x/term"
)

// IOStreams is how commands reach the terminal: the three streams, whether
// each is a terminal, and a no-echo password reader. Tests replace it.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY, OutTTY, ErrTTY bool

	// ReadPassword reads one line without echo from the terminal; nil when
	// there is no terminal to ask.
	ReadPassword func() ([]byte, error)

	ColorOff  bool
	Quiet     bool
	stdinUsed string
	bufIn     *bufio.Reader
}

// SystemStreams are the process's stdin, stdout and stderr.
func SystemStreams() *IOStreams {
	s := &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if s.InTTY {
		fd := int(os.Stdin.Fd())
		s.ReadPassword = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	s.ColorOff = noColor || os.Getenv("TERM") == "dumb"
	return s
}

// CanPrompt reports whether a password can be asked for.
func (s *IOStreams) CanPrompt() bool {
	return s.ReadPassword != nil && s.InTTY && s.ErrTTY
}

// Stdin returns a buffered reader of standard input, and refuses a second
// use: one invocation cannot take both a file and a password from stdin.
func (s *IOStreams) Stdin(use string) (*bufio.Reader, error) {
	if s.stdinUsed != "" {
		return nil, UsageErrorf("standard input is already used for %s; it cannot also supply %s", s.stdinUsed, use)
	}
	s.stdinUsed = use
	if s.bufIn == nil {
		s.bufIn = bufio.NewReader(s.In)
	}
	return s.bufIn, nil
}

// Confirm asks question on stderr, with " [y/N] ", and reads the answer
// from stdin: y or yes (any case) goes on; anything else, or no answer, is
// a usage error that says what was not done ("not deleted"), as gh
// cancels with exit 2.
func (s *IOStreams) Confirm(question, notDone string) error {
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", Printable(question))
	in, err := s.Stdin("the confirmation")
	if err != nil {
		return err
	}
	answer, _ := in.ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return UsageErrorf("%s: the answer was not yes", notDone)
	}
	return nil
}

// colorOn reports whether w gets color: a terminal, NO_COLOR unset, no --no-color.
func (s *IOStreams) colorOn(tty bool) bool { return tty && !s.ColorOff }

func (s *IOStreams) ErrColor() *color.Color  { return s.paint(s.ErrTTY, color.FgRed, color.Bold) }
func (s *IOStreams) WarnColor() *color.Color { return s.paint(s.ErrTTY, color.FgYellow, color.Bold) }

// OutLabel colors labels in human-readable output on stdout; never data.
func (s *IOStreams) OutLabel() *color.Color { return s.paint(s.OutTTY, color.Bold) }
func (s *IOStreams) OutGood() *color.Color  { return s.paint(s.OutTTY, color.FgGreen) }
func (s *IOStreams) OutBad() *color.Color   { return s.paint(s.OutTTY, color.FgRed, color.Bold) }
func (s *IOStreams) OutWarn() *color.Color  { return s.paint(s.OutTTY, color.FgYellow) }

func (s *IOStreams) paint(tty bool, attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if s.colorOn(tty) {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

// Warnf prints a warning on stderr. Warnings are shown even with --quiet.
func (s *IOStreams) Warnf(format string, a ...any) {
	fmt.Fprintf(s.ErrOut, "%s %s\n", s.WarnColor().Sprint("azcert: warning:"), fmt.Sprintf(format, a...))
}

// Notef prints an informational note on stderr, unless --quiet.
func (s *IOStreams) Notef(format string, a ...any) {
	if s.Quiet {
		return
	}
	fmt.Fprintf(s.ErrOut, format+"\n", a...)
}

// Prompt asks for a password on the terminal without echo.
func (s *IOStreams) Prompt(label string) (string, error) {
	if !s.CanPrompt() {
		return "", errors.New("no terminal to ask for a password")
	}
	fmt.Fprint(s.ErrOut, label)
	b, err := s.ReadPassword()
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return string(b), nil
}
