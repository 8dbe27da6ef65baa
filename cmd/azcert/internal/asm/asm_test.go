package asm

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func testFactory(env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	f, out, errOut := cmdtest.Factory(env)
	f.Output = ""
	return f, out, errOut
}

// connArgs give every connection flag; connWant is what they set.
var connArgs = []string{"--subscription", "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36", "--auth-cert", "mgmt.pfx",
	"--auth-password", "env:PW", "--publish-settings", "my.publishsettings", "--cloud", "china",
	"--endpoint", "https://127.0.0.1:8443", "--ca-file", "ca.pem", "--timeout", "30s", "--retries", "2"}

var connWant = cmdutil.MgmtFlags{
	Subscription: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36", AuthCert: "mgmt.pfx", AuthPassword: "env:PW", PublishSettings: "my.publishsettings",
	Conn: cmdutil.ConnFlags{Cloud: "china", Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", Timeout: 30 * time.Second, Retries: 2, CloudChanged: true},
}

// connDefault is what the connection flags hold when none is given.
var connDefault = cmdutil.MgmtFlags{Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4}}

func args(a ...[]string) []string {
	var out []string
	for _, s := range a {
		out = append(out, s...)
	}
	return out
}

// execute runs cmd with args in a context of its own and returns the
// error; the caller's runF has recorded the options.
func execute(t *testing.T, cmd *cobra.Command, args []string) (context.Context, error) {
	t.Helper()
	ctx := context.WithValue(context.Background(), t, "ctx")
	if args == nil {
		args = []string{} // not nil, which would mean os.Args
	}
	cmd.SetArgs(args)
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	return ctx, cmd.ExecuteContext(ctx)
}

// checkRun compares what the command ran with (gotOpts, nil if runF was
// not called) to want, the fields the flags fill; IO, Factory and Ctx are
// checked to be the factory's and the command's.
func checkRun[T any](t *testing.T, name string, err error, wantErr string, got, want *T, strip func(*T) (*cmdutil.IOStreams, *cmdutil.Factory, context.Context), f *cmdutil.Factory, ctx context.Context) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: error %v, want one containing %q", name, err, wantErr)
		}
		if got != nil {
			t.Errorf("%s: the run function was called despite the error", name)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got == nil {
		t.Fatalf("%s: the run function was not called", name)
	}
	io, fac, c := strip(got)
	if io != f.IO || fac != f || c != ctx {
		t.Errorf("%s: IO, Factory or Ctx is not the factory's and the command's", name)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: options = %+v, want %+v", name, *got, *want)
	}
}

func TestNewCmdUpload(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		want    UploadOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"a.cer"}, want: UploadOptions{Mgmt: connDefault, Files: []string{"a.cer"}, Parallel: 4}},
		{name: "connection flags", args: args([]string{"a.cer", "b.pem"}, connArgs), want: UploadOptions{Mgmt: connWant, Files: []string{"a.cer", "b.pem"}, Parallel: 4}},
		{name: "cloud given as its default", args: []string{"a.cer", "--cloud", "public"}, want: UploadOptions{Mgmt: cmdutil.MgmtFlags{Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4, CloudChanged: true}}, Files: []string{"a.cer"}, Parallel: 4}},
		{name: "service", args: []string{"s.pfx", "--service", "contoso-web", "--in-password", "env:PFX_PW", "--no-wait", "--parallel", "8"}, want: UploadOptions{Mgmt: connDefault, Files: []string{"s.pfx"}, Service: "contoso-web", InPassword: "env:PFX_PW", NoWait: true, Parallel: 8}},
		{name: "no file", args: []string{"--service", "x"}, wantErr: "give at least one certificate file to upload"},
		{name: "parallel not a number", args: []string{"a.cer", "--parallel", "many"}, wantErr: "invalid argument"},
		{name: "unknown flag", args: []string{"a.cer", "--wait"}, wantErr: "unknown flag: --wait"},
	} {
		f, _, _ := testFactory(nil)
		var got *UploadOptions
		ctx, err := execute(t, NewCmdUpload(f, func(o *UploadOptions) error { got = o; return nil }), tt.args)
		checkRun(t, tt.name, err, tt.wantErr, got, &tt.want, func(o *UploadOptions) (*cmdutil.IOStreams, *cmdutil.Factory, context.Context) {
			io, fac, c := o.IO, o.Factory, o.Ctx
			o.IO, o.Factory, o.Ctx = nil, nil, nil
			return io, fac, c
		}, f, ctx)
	}
}

func TestNewCmdList(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		want    ListOptions
		wantErr string
	}{
		{name: "defaults", args: nil, want: ListOptions{Mgmt: connDefault}},
		{name: "connection flags", args: connArgs, want: ListOptions{Mgmt: connWant}},
		{name: "service", args: []string{"--service", "contoso-web"}, want: ListOptions{Mgmt: connDefault, Service: "contoso-web"}},
		{name: "an argument", args: []string{"contoso-web"}, wantErr: `unknown command "contoso-web"`},
		{name: "timeout not a duration", args: []string{"--timeout", "10"}, wantErr: "invalid argument"},
	} {
		f, _, _ := testFactory(nil)
		var got *ListOptions
		ctx, err := execute(t, NewCmdList(f, func(o *ListOptions) error { got = o; return nil }), tt.args)
		checkRun(t, tt.name, err, tt.wantErr, got, &tt.want, func(o *ListOptions) (*cmdutil.IOStreams, *cmdutil.Factory, context.Context) {
			io, fac, c := o.IO, o.Factory, o.Ctx
			o.IO, o.Factory, o.Ctx = nil, nil, nil
			return io, fac, c
		}, f, ctx)
	}
}

func TestNewCmdDelete(t *testing.T) {
	const thumb = "3B4E0C1F2A5D6E7F8091A2B3C4D5E6F708192A3B"
	for _, tt := range []struct {
		name    string
		args    []string
		want    DeleteOptions
		wantErr string
	}{
		{name: "defaults", args: []string{thumb}, want: DeleteOptions{Mgmt: connDefault, Target: thumb}},
		{name: "connection flags", args: args([]string{"old.cer"}, connArgs), want: DeleteOptions{Mgmt: connWant, Target: "old.cer"}},
		{name: "service", args: []string{"old.pfx", "--service", "contoso-web", "--in-password", "file:pw.txt", "--yes", "--no-wait"}, want: DeleteOptions{Mgmt: connDefault, Target: "old.pfx", Service: "contoso-web", InPassword: "file:pw.txt", Yes: true, NoWait: true}},
		{name: "-y", args: []string{thumb, "-y"}, want: DeleteOptions{Mgmt: connDefault, Target: thumb, Yes: true}},
		{name: "nothing named", args: nil, wantErr: "give one thumbprint or certificate file to delete (got 0)"},
		{name: "two named", args: []string{"a.cer", "b.cer"}, wantErr: "give one thumbprint or certificate file to delete (got 2)"},
		{name: "retries not a number", args: []string{thumb, "--retries", "x"}, wantErr: "invalid argument"},
	} {
		f, _, _ := testFactory(nil)
		var got *DeleteOptions
		ctx, err := execute(t, NewCmdDelete(f, func(o *DeleteOptions) error { got = o; return nil }), tt.args)
		checkRun(t, tt.name, err, tt.wantErr, got, &tt.want, func(o *DeleteOptions) (*cmdutil.IOStreams, *cmdutil.Factory, context.Context) {
			io, fac, c := o.IO, o.Factory, o.Ctx
			o.IO, o.Factory, o.Ctx = nil, nil, nil
			return io, fac, c
		}, f, ctx)
	}
}
