package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"golang.org/x/term"
)

// iostreams is how commands reach the terminal: the three streams, whether
// each is a terminal, and a no-echo password reader. Tests replace it.
type iostreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY, OutTTY, ErrTTY bool

	// readPassword reads one line without echo from the terminal; nil when
	// there is no terminal to ask.
	readPassword func() ([]byte, error)

	colorOff  bool
	quiet     bool
	stdinUsed string
	bufIn     *bufio.Reader
}

func systemStreams() *iostreams {
	s := &iostreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if s.InTTY {
		fd := int(os.Stdin.Fd())
		s.readPassword = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	s.colorOff = noColor || os.Getenv("TERM") == "dumb"
	return s
}

// canPrompt reports whether a password can be asked for.
func (s *iostreams) canPrompt() bool {
	return s.readPassword != nil && s.InTTY && s.ErrTTY
}

// stdin returns a buffered reader of standard input, and refuses a second
// use: one invocation cannot take both a file and a password from stdin.
func (s *iostreams) stdin(use string) (*bufio.Reader, error) {
	if s.stdinUsed != "" {
		return nil, usageErrorf("standard input is already used for %s; it cannot also supply %s", s.stdinUsed, use)
	}
	s.stdinUsed = use
	if s.bufIn == nil {
		s.bufIn = bufio.NewReader(s.In)
	}
	return s.bufIn, nil
}

// colorOn reports whether w gets color: a terminal, NO_COLOR unset, no --no-color.
func (s *iostreams) colorOn(tty bool) bool { return tty && !s.colorOff }

func (s *iostreams) errColor() *color.Color  { return s.paint(s.ErrTTY, color.FgRed, color.Bold) }
func (s *iostreams) warnColor() *color.Color { return s.paint(s.ErrTTY, color.FgYellow, color.Bold) }

// outLabel colors labels in human-readable output on stdout; never data.
func (s *iostreams) outLabel() *color.Color { return s.paint(s.OutTTY, color.Bold) }
func (s *iostreams) outGood() *color.Color  { return s.paint(s.OutTTY, color.FgGreen) }
func (s *iostreams) outBad() *color.Color   { return s.paint(s.OutTTY, color.FgRed, color.Bold) }
func (s *iostreams) outWarn() *color.Color  { return s.paint(s.OutTTY, color.FgYellow) }

func (s *iostreams) paint(tty bool, attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if s.colorOn(tty) {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

// warnf prints a warning on stderr. Warnings are shown even with --quiet.
func (s *iostreams) warnf(format string, a ...any) {
	fmt.Fprintf(s.ErrOut, "%s %s\n", s.warnColor().Sprint("azcert: warning:"), fmt.Sprintf(format, a...))
}

// notef prints an informational note on stderr, unless --quiet.
func (s *iostreams) notef(format string, a ...any) {
	if s.quiet {
		return
	}
	fmt.Fprintf(s.ErrOut, format+"\n", a...)
}

// prompt asks for a password on the terminal without echo.
func (s *iostreams) prompt(label string) (string, error) {
	if !s.canPrompt() {
		return "", errors.New("no terminal to ask for a password")
	}
	fmt.Fprint(s.ErrOut, label)
	b, err := s.readPassword()
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return string(b), nil
}
