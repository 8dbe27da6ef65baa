package main

import (
	"strings"
	"testing"
)

// TestErrorsAreDeterministic: with several required flags missing, or
// several users of stdin, the message is the same on every run (the
// checks once iterated a map, so it changed from run to run).
func TestErrorsAreDeterministic(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rotate", "contoso.net"}, "azcert: error: --service is required\n"},
		{[]string{"rotate", "contoso.net", "--service", "web"}, "azcert: error: --cscfg is required\n"},
		{[]string{"apim", "list"}, "azcert: error: --subscription is required\n"},
		{[]string{"apim", "list", "--subscription", "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"}, "azcert: error: --resource-group is required\n"},
		{[]string{"apim", "upload", "-", "--in-password", "stdin", "--access-token", "stdin"},
			"azcert: error: standard input can be read only once, but the input file (-), --access-token stdin and --in-password stdin both want it\n"},
		{[]string{"vpn", "root", "list"}, "azcert: error: --gateway is required: RESOURCE-GROUP/NAME or the gateway's resource id\n"},
		{[]string{"vpn", "root", "list", "--gateway", "rg/gw"}, "azcert: error: no subscription: give --subscription ID, set AZCERT_SUBSCRIPTION, or give --gateway as a resource id\n"},
		{[]string{"vpn", "root", "add", "-", "--in-password", "stdin", "--access-token", "stdin"},
			"azcert: error: standard input can be read only once, but the input file (-), --access-token stdin and --in-password stdin both want it\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for range 20 { // map order would differ within a few runs
				f, _, errOut := testFactory(t, "", nil, nil)
				if code := run(tc.args, f); code != 2 || errOut.String() != tc.want {
					t.Fatalf("exit %d, stderr %q; want 2, %q", code, errOut.String(), tc.want)
				}
			}
		})
	}
}
