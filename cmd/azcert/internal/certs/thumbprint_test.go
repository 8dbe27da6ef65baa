package certs

import (
	"context"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdThumbprintFlags(t *testing.T) {
	defaults := func(f *cmdutil.Factory) ThumbprintOptions {
		return ThumbprintOptions{IO: f.IO, Factory: f, Ctx: context.Background(), Inputs: []string{"a.cer"},
			Format: "azure", Algorithm: "sha1", Timeout: 10 * time.Second}
	}
	testFlags(t, NewCmdThumbprint, defaults, []flagCase[ThumbprintOptions]{
		{"defaults", []string{"a.cer"}, func(o *ThumbprintOptions) {}},
		{"inputs", []string{"a.cer", "-", "https://contoso.net"}, func(o *ThumbprintOptions) { o.Inputs = []string{"a.cer", "-", "https://contoso.net"} }},
		{"format", []string{"a.cer", "--format", "colon"}, func(o *ThumbprintOptions) { o.Format = "colon" }},
		{"algorithm", []string{"a.cer", "--algorithm", "sha256"}, func(o *ThumbprintOptions) { o.Algorithm = "sha256" }},
		{"expect", []string{"a.cer", "--expect", "AB:CD"}, func(o *ThumbprintOptions) { o.Expect, o.ExpectGiven = "AB:CD", true }},
		{"expect empty given", []string{"a.cer", "--expect="}, func(o *ThumbprintOptions) { o.ExpectGiven = true }},
		{"in-password", []string{"a.cer", "--in-password", "prompt"}, func(o *ThumbprintOptions) { o.InPassword = "prompt" }},
		{"timeout", []string{"a.cer", "--timeout", "3s"}, func(o *ThumbprintOptions) { o.Timeout = 3 * time.Second }},
	})
	testUsage(t, NewCmdThumbprint, []usageCase{
		{"no input", nil, "give at least one file, URL or -"},
		{"timeout not a duration", []string{"a.cer", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
	})
}
