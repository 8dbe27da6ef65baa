package emulatorcmd

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator"
)

func TestNewCmdEmulator(t *testing.T) {
	base := Options{Listen: "127.0.0.1:8443", Subscription: emulator.DefaultSubscription, CAOut: "emulator-ca.pem",
		MaxMgmtCerts: 100, OperationDelay: 2 * time.Second, APIM: []string{"azcert-rg/azcert-apim"}}
	with := func(edit func(*Options)) Options { o := base; edit(&o); return o }
	for _, tt := range []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", args: []string{}, want: base},
		{name: "every flag", args: []string{"--listen", "127.0.0.1:0", "--subscription", "s", "--trust", "a.cer", "--trust", "b.cer", "--service", "web",
			"--state", "emu.json", "--ca-out", "ca.pem", "--max-management-certs", "3", "--operation-delay", "0s", "--fault", "throttle:2",
			"--apim", "rg/one", "--apim", "rg/two", "--arm-token", "tok", "--entra-app", "ci", "--entra-app", "web app",
			"--vpn-gateway", "rg-net/gw1", "--vpn-gateway", "rg-net/gw2"},
			want: with(func(o *Options) {
				o.Listen, o.Subscription, o.Trust, o.Services, o.State, o.CAOut = "127.0.0.1:0", "s", []string{"a.cer", "b.cer"}, []string{"web"}, "emu.json", "ca.pem"
				o.MaxMgmtCerts, o.OperationDelay, o.Faults, o.APIM, o.ARMToken = 3, 0, []string{"throttle:2"}, []string{"rg/one", "rg/two"}, "tok"
				o.EntraApps = []string{"ci", "web app"}
				o.VPNGateways = []string{"rg-net/gw1", "rg-net/gw2"}
			})},
		{name: "an argument", args: []string{"extra"}, wantErr: "unknown command"},
		{name: "bad duration", args: []string{"--operation-delay", "soon"}, wantErr: "invalid argument"},
	} {
		var out bytes.Buffer
		f := &cmdutil.Factory{IO: &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out, ColorOff: true}}
		var got *Options
		cmd := NewCmdEmulator(f, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		ctx := context.WithValue(context.Background(), t, "ctx")
		err := cmd.ExecuteContext(ctx)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
				t.Errorf("%s: error %v (run called: %v), want %q", tt.name, err, got != nil, tt.wantErr)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%s: %v (run called: %v)", tt.name, err, got != nil)
		}
		if got.IO != f.IO || got.Factory != f || got.Ctx != ctx {
			t.Errorf("%s: IO, Factory or Ctx is not the factory's and the command's", tt.name)
		}
		got.IO, got.Factory, got.Ctx = nil, nil, nil
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s: options = %+v, want %+v", tt.name, *got, tt.want)
		}
	}
}

// The flags are refused before anything listens.
func TestRunRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.MaxMgmtCerts = 0 }, "--max-management-certs must be at least 1"},
		{func(o *Options) { o.OperationDelay = -time.Second }, "--operation-delay must not be negative"},
		{func(o *Options) { o.Faults = []string{"explode:1"} }, "--fault"},
		{func(o *Options) { o.VPNGateways = []string{"rg-net/gw", "nope"} }, `--vpn-gateway: the VPN gateway "nope" is not of the form`},
		{func(o *Options) { o.VPNGateways = []string{"rg-net/"} }, `--vpn-gateway: the VPN gateway name "" is invalid`},
		{func(o *Options) { o.EntraApps = []string{" "} }, "--entra-app: an application name is empty"},
		{func(o *Options) { o.EntraApps = []string{"a\tb"} }, "--entra-app: the application name \"a?b\" has control characters"},
	} {
		var out bytes.Buffer
		f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &out}}
		o := &Options{IO: f.IO, Factory: f, Ctx: context.Background(), Listen: "127.0.0.1:0", MaxMgmtCerts: 100, CAOut: t.TempDir() + "/ca.pem"}
		tt.edit(o)
		err := Run(o)
		var u *cmdutil.UsageError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &u) {
			t.Errorf("Run = %v, want a usage error with %q", err, tt.want)
		}
	}
}
