package cscfg

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	cscfgfile "github.com/azcert/azcert/pkg/cscfg"
)

func testFactory() (f *cmdutil.Factory, out, errOut *bytes.Buffer) {
	f, out, errOut = cmdtest.Factory(nil)
	f.Now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	return f, out, errOut
}

func execute(cmd *cobra.Command, args ...string) error { return cmdtest.Execute(cmd, args...) }

func TestNewCmdShow(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    ShowOptions
		wantErr string
	}{
		{name: "file", args: []string{"a.cscfg"}, want: ShowOptions{File: "a.cscfg"}},
		{name: "stdin", args: []string{"-"}, want: ShowOptions{File: "-"}},
		{name: "no file", args: nil, wantErr: "give exactly one .cscfg file (got 0)"},
		{name: "two files", args: []string{"a.cscfg", "b.cscfg"}, wantErr: "give exactly one .cscfg file (got 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *ShowOptions
			err := execute(NewCmdShow(f, func(o *ShowOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("cscfg show %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("cscfg show %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("cscfg show %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("cscfg show %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestNewCmdSet(t *testing.T) {
	const tp = "3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345"
	tests := []struct {
		name    string
		args    []string
		want    SetOptions
		wantErr string
	}{
		{name: "thumbprint", args: []string{"a.cscfg", "--name", "SSL", "--thumbprint", tp}, want: SetOptions{File: "a.cscfg", Name: "SSL", Thumbprint: tp}},
		{name: "cert", args: []string{"a.cscfg", "--name", "SSL", "--cert", "c.pfx", "--in-password", "env:PW"},
			want: SetOptions{File: "a.cscfg", Name: "SSL", Cert: "c.pfx", InPassword: "env:PW"}},
		{name: "role and csdef", args: []string{"a.cscfg", "--name", "SSL", "--role", "WebRole1", "--thumbprint", tp, "--csdef", "d.csdef"},
			want: SetOptions{File: "a.cscfg", Name: "SSL", Role: "WebRole1", Thumbprint: tp, Csdef: "d.csdef"}},
		{name: "no flags reach the run", args: []string{"a.cscfg"}, want: SetOptions{File: "a.cscfg"}},
		{name: "no file", args: []string{"--name", "SSL"}, wantErr: "give exactly one .cscfg file (got 0)"},
		{name: "unknown flag", args: []string{"a.cscfg", "--names", "SSL"}, wantErr: "unknown flag: --names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *SetOptions
			err := execute(NewCmdSet(f, func(o *SetOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("cscfg set %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("cscfg set %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("cscfg set %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("cscfg set %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

// TestSetRunRefusals: the usage errors SetRun raises before it reads
// anything.
func TestSetRunRefusals(t *testing.T) {
	tests := []struct {
		name string
		opts SetOptions
		want string
	}{
		{"no name", SetOptions{File: "a.cscfg", Thumbprint: "x"}, "--name is required"},
		{"neither", SetOptions{File: "a.cscfg", Name: "SSL"}, "give the new thumbprint with --thumbprint or --cert (one of them)"},
		{"both", SetOptions{File: "a.cscfg", Name: "SSL", Thumbprint: "x", Cert: "c.cer"}, "give the new thumbprint with --thumbprint or --cert (one of them)"},
		{"stdin", SetOptions{File: "-", Name: "SSL", Thumbprint: "x"}, "cscfg set edits a file in place; give its path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			tt.opts.IO, tt.opts.Factory = f.IO, f
			err := SetRun(&tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || cmdutil.ExitCode(err) != cmdutil.ExitCode(&cmdutil.UsageError{Err: err}) {
				t.Errorf("SetRun(%+v) = %v, want the usage error %q", tt.opts, err, tt.want)
			}
		})
	}
}

const config = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="contoso" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole1">
    <Certificates>
      <Certificate name="SSL" thumbprint="1111111111111111111111111111111111111111" thumbprintAlgorithm="sha1" />
    </Certificates>
  </Role>
</ServiceConfiguration>
`

// TestSetInFile is the edit rotate makes too: the entries come back as they
// were, the file keeps its mode, and setting the same thumbprint again
// leaves it alone with a note.
func TestSetInFile(t *testing.T) {
	const tp = "3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345"
	path := filepath.Join(t.TempDir(), "ServiceConfiguration.Cloud.cscfg")
	if err := os.WriteFile(path, []byte(config), 0o640); err != nil {
		t.Fatal(err)
	}
	f, _, errOut := testFactory()
	changed, err := SetInFile(f, path, "SSL", "", tp, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []cscfgfile.Entry{{Role: "WebRole1", Name: "SSL", Thumbprint: "1111111111111111111111111111111111111111", Algorithm: "sha1", Line: 5}}
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("SetInFile() = %+v, want %+v", changed, want)
	}
	got, _ := os.ReadFile(path)
	if wantFile := strings.Replace(config, strings.Repeat("1", 40), tp, 1); string(got) != wantFile {
		t.Errorf("the file is\n%s\nwant\n%s", got, wantFile)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %04o, want 0640 kept", st.Mode().Perm())
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", errOut)
	}

	if _, err := SetInFile(f, path, "SSL", "", tp, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "already names "+tp+" for SSL; unchanged") {
		t.Errorf("stderr = %q, want the unchanged note", errOut)
	}
	if _, err := SetInFile(f, path, "Other", "", tp, ""); cmdutil.ExitCode(err) != cmdutil.ExitCode(&cmdutil.InputError{Err: err}) {
		t.Errorf("SetInFile(undeclared name) = %v, want an input error", err)
	}
}
