package asm

import (
	"context"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdRotate(t *testing.T) {
	base := RotateOptions{Mgmt: connDefault, Domains: []string{"contoso.net"}, OutDir: ".", KeySize: 2048, Days: 365, PFXProfile: "compat", CerFormat: "der"}
	with := func(edit func(*RotateOptions)) RotateOptions { o := base; edit(&o); return o }
	for _, tt := range []struct {
		name    string
		args    []string
		want    RotateOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"contoso.net"}, want: base},
		{name: "connection flags", args: args([]string{"contoso.net"}, connArgs), want: with(func(o *RotateOptions) { o.Mgmt = connWant })},
		{name: "rotation", args: []string{"contoso.net", "www.contoso.net", "--service", "web", "--cscfg", "c.cscfg", "--name", "SSL", "--role", "WebRole1"},
			want: with(func(o *RotateOptions) {
				o.Domains, o.Service, o.Cscfg, o.Name, o.Role = []string{"contoso.net", "www.contoso.net"}, "web", "c.cscfg", "SSL", "WebRole1"
			})},
		{name: "the new certificate", args: []string{"contoso.net", "--out-dir", "out", "--file-name", "rot", "--password", "env:PW", "--key-size", "3072", "--days", "90", "--pfx-profile", "modern", "--cer-format", "pem", "--pem", "--dry-run"},
			want: with(func(o *RotateOptions) {
				o.OutDir, o.FileName, o.Password, o.KeySize, o.Days, o.PFXProfile, o.CerFormat, o.PEM, o.DryRun = "out", "rot", "env:PW", 3072, 90, "modern", "pem", true, true
			})},
		{name: "key vault", args: []string{"contoso.net", "--keyvault", "contoso-kv", "--access-token", "env:TOK", "--vault-id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-kv"},
			want: with(func(o *RotateOptions) {
				o.KeyVault, o.AccessToken, o.VaultID = "contoso-kv", "env:TOK", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-kv"
			})},
		{name: "no domain", args: []string{"--service", "web"}, wantErr: "give the domain(s) of the new certificate"},
		{name: "days not a number", args: []string{"contoso.net", "--days", "many"}, wantErr: "invalid argument"},
	} {
		f, _, _ := testFactory(nil)
		var got *RotateOptions
		ctx, err := execute(t, NewCmdRotate(f, func(o *RotateOptions) error { got = o; return nil }), tt.args)
		checkRun(t, tt.name, err, tt.wantErr, got, &tt.want, func(o *RotateOptions) (*cmdutil.IOStreams, *cmdutil.Factory, context.Context) {
			io, fac, c := o.IO, o.Factory, o.Ctx
			o.IO, o.Factory, o.Ctx = nil, nil, nil
			return io, fac, c
		}, f, ctx)
	}
}
