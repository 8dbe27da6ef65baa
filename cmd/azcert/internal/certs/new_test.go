package certs

import (
	"context"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdNewFlags(t *testing.T) {
	defaults := func(f *cmdutil.Factory) NewOptions {
		return NewOptions{IO: f.IO, Factory: f, Ctx: context.Background(), Names: []string{"contoso.net"},
			KeySize: 2048, Days: 365, Purpose: "service", OutDir: ".", PFXProfile: "compat", CerFormat: "der"}
	}
	testFlags(t, NewCmdNew, defaults, []flagCase[NewOptions]{
		{"defaults", []string{"contoso.net"}, func(o *NewOptions) {}},
		{"names", []string{"contoso.net", "www.contoso.net", "*.api.contoso.net"}, func(o *NewOptions) { o.Names = []string{"contoso.net", "www.contoso.net", "*.api.contoso.net"} }},
		{"key-size", []string{"contoso.net", "--key-size", "3072"}, func(o *NewOptions) { o.KeySize = 3072 }},
		{"days", []string{"contoso.net", "--days", "730"}, func(o *NewOptions) { o.Days, o.DaysGiven = 730, true }},
		{"days default given", []string{"contoso.net", "--days", "365"}, func(o *NewOptions) { o.DaysGiven = true }},
		{"not-after", []string{"contoso.net", "--not-after", "2027-06-30"}, func(o *NewOptions) { o.NotAfter, o.NotAfterGiven = "2027-06-30", true }},
		{"not-after empty given", []string{"contoso.net", "--not-after="}, func(o *NewOptions) { o.NotAfterGiven = true }},
		{"for", []string{"contoso.net", "--for", "apim-backend"}, func(o *NewOptions) { o.Purpose, o.PurposeGiven = "apim-backend", true }},
		{"ca", []string{"Contoso Root", "--ca"}, func(o *NewOptions) { o.Names, o.CA = []string{"Contoso Root"}, true }},
		{"issuer", []string{"user1", "--issuer", "root.pfx", "--issuer-password", "env:RPW"}, func(o *NewOptions) {
			o.Names, o.Issuer, o.IssuerPassword = []string{"user1"}, "root.pfx", "env:RPW"
		}},
		{"count", []string{"--count", "3", "--name-template", "user{n}"}, func(o *NewOptions) {
			o.Names, o.Count, o.CountGiven, o.NameTemplate = []string{}, 3, true, "user{n}"
		}},
		{"allow-azure-domain", []string{"x.cloudapp.net", "--allow-azure-domain"}, func(o *NewOptions) { o.Names, o.AllowAzureDomain = []string{"x.cloudapp.net"}, true }},
		{"out-dir", []string{"contoso.net", "--out-dir", "certs"}, func(o *NewOptions) { o.OutDir = "certs" }},
		{"name", []string{"contoso.net", "--name", "site"}, func(o *NewOptions) { o.Name = "site" }},
		{"pem", []string{"contoso.net", "--pem"}, func(o *NewOptions) { o.PEM = true }},
		{"force", []string{"contoso.net", "--force"}, func(o *NewOptions) { o.Force = true }},
		{"pfx-profile", []string{"contoso.net", "--pfx-profile", "modern"}, func(o *NewOptions) { o.PFXProfile = "modern" }},
		{"cer-format", []string{"contoso.net", "--cer-format", "pem"}, func(o *NewOptions) { o.CerFormat = "pem" }},
		{"password", []string{"contoso.net", "--password", "env:PW"}, func(o *NewOptions) { o.Password = "env:PW" }},
	})
	testUsage(t, NewCmdNew, []usageCase{
		{"no domain", nil, "give at least one domain name, e.g. azcert new contoso.net"},
		{"days not a number", []string{"contoso.net", "--days", "ten"}, `invalid argument "ten" for "--days"`},
		{"unknown flag", []string{"contoso.net", "--keysize", "3072"}, "unknown flag: --keysize"},
	})
}
