package certs

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// fixedNow is the clock of every test in this package.
var fixedNow = cmdtest.Now

func testFactory(env map[string]string) (f *cmdutil.Factory, out, errOut *bytes.Buffer) {
	return cmdtest.Factory(env)
}

// parseFlags runs the command newCmd makes with args, and returns the
// options its runF got (nil when cobra or Args refused the line first).
func parseFlags[O any](f *cmdutil.Factory, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args []string) (*O, error) {
	var got *O
	cmd := newCmd(f, func(o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return got, err
}

// flagCase is a command line and what it puts in the options: a change
// to the defaults.
type flagCase[O any] struct {
	name string
	args []string
	want func(*O)
}

// usageCase is a command line refused before runF, and a part of the error.
type usageCase struct {
	name string
	args []string
	want string
}

// testFlags checks the options each command line gives, the streams, the
// Factory and the context included.
func testFlags[O any](t *testing.T, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, defaults func(*cmdutil.Factory) O, cases []flagCase[O]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(nil)
			got, err := parseFlags(f, newCmd, tt.args)
			if err != nil || got == nil {
				t.Fatalf("Execute(%q) = %v, runF called: %v; want runF called", tt.args, err, got != nil)
			}
			want := defaults(f)
			tt.want(&want)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("options of %q = %+v, want %+v", tt.args, *got, want)
			}
		})
	}
}

// testUsage checks each command line is refused, with its error, before
// runF.
func testUsage[O any](t *testing.T, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, cases []usageCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(nil)
			got, err := parseFlags(f, newCmd, tt.args)
			if got != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Execute(%q) = %v, runF called: %v; want an error with %q before runF", tt.args, err, got != nil, tt.want)
			}
		})
	}
}
