// Package cmdtest is what the tests of the command packages share: a
// Factory on buffers, and a quiet way to run one command. Only tests
// import it.
package cmdtest

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
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

// ParseOptions runs the command newCmd makes with args and returns the
// options its runF got, with IO, Factory and Ctx checked (they must be the
// Factory's and the command's) and cleared, so a test can compare the rest
// with reflect.DeepEqual. It returns nil options when runF was not called.
func ParseOptions[O any](t testing.TB, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	f, _, _ := Factory(nil)
	var got *O
	cmd := newCmd(f, func(o *O) error { got = o; return nil })
	ctx := context.WithValue(context.Background(), ctxKey{}, t.Name())
	cmd.SetContext(ctx)
	if err := Execute(cmd, args...); err != nil || got == nil {
		return nil, err
	}
	v := reflect.ValueOf(got).Elem()
	if v.FieldByName("IO").Interface() != f.IO || v.FieldByName("Factory").Interface() != f || v.FieldByName("Ctx").Interface() != ctx {
		t.Errorf("%v: IO, Factory or Ctx is not the factory's and the command's", args)
	}
	for _, n := range []string{"IO", "Factory", "Ctx"} {
		v.FieldByName(n).SetZero()
	}
	return got, nil
}

type ctxKey struct{}

// CheckOptions fails the test unless args parse into want.
func CheckOptions[O any](t testing.TB, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args []string, want O) {
	t.Helper()
	got, err := ParseOptions(t, newCmd, args...)
	if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("%v: options %+v, %v; want %+v", args, got, err, want)
	}
}

// Refused fails the test unless args are refused, before runF, with an
// error that contains want.
func Refused[O any](t testing.TB, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args []string, want string) {
	t.Helper()
	got, err := ParseOptions(t, newCmd, args...)
	if err == nil || !strings.Contains(err.Error(), want) || got != nil {
		t.Errorf("%v: error %v (run called: %v), want %q", args, err, got != nil, want)
	}
}
