package certs

import (
	"context"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdCheckFlags(t *testing.T) {
	defaults := func(f *cmdutil.Factory) CheckOptions {
		return CheckOptions{IO: f.IO, Factory: f, Ctx: context.Background(), Input: "site.pfx", Target: "service"}
	}
	testFlags(t, NewCmdCheck, defaults, []flagCase[CheckOptions]{
		{"defaults", []string{"site.pfx"}, func(o *CheckOptions) {}},
		{"for", []string{"site.pfx", "--for", "management"}, func(o *CheckOptions) { o.Target = "management" }},
		{"domain", []string{"site.pfx", "--domain", "contoso.net"}, func(o *CheckOptions) { o.Domains = []string{"contoso.net"} }},
		{"domains, commas kept", []string{"site.pfx", "--domain", "a.net,b.net", "--domain", "c.net"}, func(o *CheckOptions) { o.Domains = []string{"a.net,b.net", "c.net"} }},
		{"in-password", []string{"site.pfx", "--in-password", "file:pw.txt"}, func(o *CheckOptions) { o.InPassword = "file:pw.txt" }},
	})
	testUsage(t, NewCmdCheck, []usageCase{
		{"no input", nil, "give exactly one file to check (got 0)"},
		{"two inputs", []string{"a.pfx", "b.pfx"}, "give exactly one file to check (got 2)"},
	})
}
