// Package cmdtest is what the tests of the command packages share: a
// Factory on buffers, and a quiet way to run one command. Only tests
// import it.
package cmdtest

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// Now is the fixed clock of Factory.
var Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Factory is a Factory whose streams are buffers (stdin empty, no
// terminal, no color), whose clock is Now, whose environment is env, and
// whose output is text. It has no client constructors: a test that needs
// one sets it.
func Factory(env map[string]string) (f *cmdutil.Factory, out, errOut *bytes.Buffer) {
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	return &cmdutil.Factory{
		IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut, ColorOff: true},
		Now:       func() time.Time { return Now },
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Output:    "text",
	}, out, errOut
}

// Execute runs cmd with args the way cobra runs a command below the root,
// with cobra's own usage and error output discarded.
func Execute(cmd *cobra.Command, args ...string) error {
	if args == nil {
		args = []string{} // not nil, which would mean os.Args
	}
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.Execute()
}
