package certs

import (
	"context"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdExportFlags(t *testing.T) {
	defaults := func(f *cmdutil.Factory) ExportOptions {
		return ExportOptions{IO: f.IO, Factory: f, Ctx: context.Background(), Input: "site.pfx", CerFormat: "der", PFXProfile: "compat"}
	}
	testFlags(t, NewCmdExport, defaults, []flagCase[ExportOptions]{
		{"defaults", []string{"site.pfx"}, func(o *ExportOptions) {}},
		{"cer", []string{"site.pfx", "--cer"}, func(o *ExportOptions) { o.Cer = true }},
		{"pfx", []string{"site.pfx", "--pfx"}, func(o *ExportOptions) { o.PFX = true }},
		{"pem", []string{"--pem", "site.pfx"}, func(o *ExportOptions) { o.PEM = true }},
		{"out", []string{"site.pfx", "--out", "-"}, func(o *ExportOptions) { o.Out = "-" }},
		{"key", []string{"site.pfx", "--key", "site.key.pem"}, func(o *ExportOptions) { o.KeyFile, o.KeyGiven = "site.key.pem", true }},
		{"cer-format", []string{"site.pfx", "--cer-format", "pem"}, func(o *ExportOptions) { o.CerFormat, o.CerFormatGiven = "pem", true }},
		{"pfx-profile", []string{"site.pfx", "--pfx-profile", "modern"}, func(o *ExportOptions) { o.PFXProfile, o.PFXProfileGiven = "modern", true }},
		{"pfx-profile default given", []string{"site.pfx", "--pfx-profile", "compat"}, func(o *ExportOptions) { o.PFXProfileGiven = true }},
		{"password", []string{"site.pfx", "--password", "generate"}, func(o *ExportOptions) { o.Password, o.PasswordGiven = "generate", true }},
		{"password empty given", []string{"site.pfx", "--password="}, func(o *ExportOptions) { o.PasswordGiven = true }},
		{"in-password", []string{"site.pfx", "--in-password", "env:OLD"}, func(o *ExportOptions) { o.InPassword = "env:OLD" }},
		{"force", []string{"site.pfx", "--force"}, func(o *ExportOptions) { o.Force = true }},
	})
	testUsage(t, NewCmdExport, []usageCase{
		{"no input", []string{"--cer"}, "give exactly one input file (got 0)"},
		{"two inputs", []string{"a.pfx", "b.pfx", "--cer"}, "give exactly one input file (got 2)"},
		{"bool with value", []string{"a.pfx", "--cer=maybe"}, `invalid argument "maybe" for "--cer"`},
	})
}
