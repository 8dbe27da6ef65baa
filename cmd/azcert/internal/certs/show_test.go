package certs

import (
	"context"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdShowFlags(t *testing.T) {
	defaults := func(f *cmdutil.Factory) ShowOptions {
		return ShowOptions{IO: f.IO, Factory: f, Ctx: context.Background(), Inputs: []string{"a.pfx"}, Timeout: 10 * time.Second}
	}
	testFlags(t, NewCmdShow, defaults, []flagCase[ShowOptions]{
		{"defaults", []string{"a.pfx"}, func(o *ShowOptions) {}},
		{"inputs", []string{"a.pfx", "b.cer"}, func(o *ShowOptions) { o.Inputs = []string{"a.pfx", "b.cer"} }},
		{"in-password", []string{"a.pfx", "--in-password", "env:PW"}, func(o *ShowOptions) { o.InPassword = "env:PW" }},
		{"timeout", []string{"a.pfx", "--timeout", "1m"}, func(o *ShowOptions) { o.Timeout = time.Minute }},
	})
	testUsage(t, NewCmdShow, []usageCase{
		{"no input", nil, "give at least one file, URL or -"},
		{"unknown flag", []string{"a.pfx", "--password", "env:PW"}, "unknown flag: --password"},
	})
}
