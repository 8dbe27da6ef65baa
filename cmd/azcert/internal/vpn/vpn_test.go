package vpn

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/network"
)

// netFlags are the VPN gateway flags as their defaults leave them, with --gateway gw.
func netFlags(gw string) cmdutil.NetworkFlags {
	return cmdutil.NetworkFlags{Gateway: gw, Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: cmdutil.NetworkTimeout, Retries: 4}}
}

// allNet are the connection flags, every one given, and what they make.
var allNet = []string{"--gateway", "rg-net/vpngw", "--subscription", "00000000-0000-0000-0000-000000000001", "--access-token", "env:TOKEN",
	"--arm-endpoint", "https://127.0.0.1:8443", "--cloud", "china", "--ca-file", "ca.pem", "--timeout", "5m", "--retries", "2"}
var allNetWant = cmdutil.NetworkFlags{Gateway: "rg-net/vpngw", Subscription: "00000000-0000-0000-0000-000000000001", AccessToken: "env:TOKEN",
	Conn: cmdutil.ConnFlags{Cloud: "china", Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", Timeout: 5 * time.Minute, Retries: 2, CloudChanged: true}}

func TestNewCmdRootAdd(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRootAdd, []string{"root.cer", "--gateway", "rg/gw"}, RootAddOptions{File: "root.cer", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRootAdd, []string{"root.pfx", "--gateway", "rg/gw", "--name", "r1", "--in-password", "env:PW", "--allow-leaf"},
		RootAddOptions{File: "root.pfx", Name: "r1", InPassword: "env:PW", AllowLeaf: true, Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRootAdd, append([]string{"root.cer"}, allNet...), RootAddOptions{File: "root.cer", Net: allNetWant})
	cmdtest.Refused(t, NewCmdRootAdd, nil, "give exactly one root certificate file (got 0)")
	cmdtest.Refused(t, NewCmdRootAdd, []string{"a.cer", "b.cer"}, "give exactly one root certificate file (got 2)")
	cmdtest.Refused(t, NewCmdRootAdd, []string{"a.cer", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`)
}

func TestNewCmdRootList(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRootList, []string{"--gateway", "rg/gw"}, RootListOptions{Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRootList, allNet, RootListOptions{Net: allNetWant})
	cmdtest.Refused(t, NewCmdRootList, []string{"extra"}, `unknown command "extra"`)
}

func TestNewCmdRootRemove(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRootRemove, []string{"r1", "--gateway", "rg/gw"}, RootRemoveOptions{Name: "r1", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRootRemove, []string{"-y", "--thumbprint", "ab:cd", "--gateway", "rg/gw"}, RootRemoveOptions{Thumbprint: "ab:cd", Yes: true, Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRootRemove, append([]string{"r1", "--yes"}, allNet...), RootRemoveOptions{Name: "r1", Yes: true, Net: allNetWant})
	cmdtest.Refused(t, NewCmdRootRemove, nil, "give the root's name or --thumbprint")
	cmdtest.Refused(t, NewCmdRootRemove, []string{"r1", "--thumbprint", "AB"}, "not both")
	cmdtest.Refused(t, NewCmdRootRemove, []string{"r1", "r2"}, "give one root certificate name (got 2)")
	cmdtest.Refused(t, NewCmdRootRemove, []string{"", "--yes", "--gateway", "rg/gw"}, "the root's name is empty")
	cmdtest.Refused(t, NewCmdRootRemove, []string{"--thumbprint", "", "--yes", "--gateway", "rg/gw"}, "--thumbprint is empty")
}

func TestNewCmdRootData(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRootData, []string{"root.cer"}, RootDataOptions{File: "root.cer"})
	cmdtest.CheckOptions(t, NewCmdRootData, []string{"root.pfx", "--in-password", "env:PW", "--allow-leaf"}, RootDataOptions{File: "root.pfx", InPassword: "env:PW", AllowLeaf: true})
	cmdtest.Refused(t, NewCmdRootData, nil, "give exactly one root certificate file (got 0)")
	// Offline: no connection flags.
	cmdtest.Refused(t, NewCmdRootData, []string{"root.cer", "--gateway", "rg/gw"}, "unknown flag: --gateway")
}

func TestNewCmdRevokeAdd(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRevokeAdd, []string{"alice.cer", "--gateway", "rg/gw"}, RevokeAddOptions{File: "alice.cer", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRevokeAdd, []string{"--thumbprint", "AB", "--name", "alice", "--gateway", "rg/gw"}, RevokeAddOptions{Thumbprint: "AB", Name: "alice", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRevokeAdd, append([]string{"alice.pfx", "--in-password", "env:PW"}, allNet...), RevokeAddOptions{File: "alice.pfx", InPassword: "env:PW", Net: allNetWant})
	cmdtest.Refused(t, NewCmdRevokeAdd, nil, "give the client certificate's file or --thumbprint")
	cmdtest.Refused(t, NewCmdRevokeAdd, []string{"alice.cer", "--thumbprint", "AB"}, "not both")
	cmdtest.Refused(t, NewCmdRevokeAdd, []string{"a.cer", "b.cer"}, "give one client certificate file (got 2)")
	cmdtest.Refused(t, NewCmdRevokeAdd, []string{"", "--gateway", "rg/gw"}, "the client certificate's file is empty")
	cmdtest.Refused(t, NewCmdRevokeAdd, []string{"--thumbprint", "", "--gateway", "rg/gw"}, "--thumbprint is empty")
}

func TestNewCmdRevokeList(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRevokeList, []string{"--gateway", "rg/gw"}, RevokeListOptions{Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRevokeList, allNet, RevokeListOptions{Net: allNetWant})
	cmdtest.Refused(t, NewCmdRevokeList, []string{"x"}, `unknown command "x"`)
}

func TestNewCmdRevokeRemove(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRevokeRemove, []string{"alice", "--gateway", "rg/gw"}, RevokeRemoveOptions{Name: "alice", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRevokeRemove, []string{"--thumbprint", "AB", "--gateway", "rg/gw"}, RevokeRemoveOptions{Thumbprint: "AB", Net: netFlags("rg/gw")})
	cmdtest.CheckOptions(t, NewCmdRevokeRemove, append([]string{"alice"}, allNet...), RevokeRemoveOptions{Name: "alice", Net: allNetWant})
	cmdtest.Refused(t, NewCmdRevokeRemove, nil, "give the revoked certificate's name or --thumbprint")
	cmdtest.Refused(t, NewCmdRevokeRemove, []string{"a", "--thumbprint", "AB"}, "not both")
	cmdtest.Refused(t, NewCmdRevokeRemove, []string{"", "--gateway", "rg/gw"}, "the revoked certificate's name is empty")
	cmdtest.Refused(t, NewCmdRevokeRemove, []string{"--thumbprint", "", "--gateway", "rg/gw"}, "--thumbprint is empty")
}

// The run functions refuse bad values before connecting: the Factory has
// no Network constructor, so reaching it would panic.
func TestRefusedBeforeConnecting(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	for name, err := range map[string]error{
		"root add --name":            RootAddRun(&RootAddOptions{IO: f.IO, Factory: f, File: "x.cer", Name: "-bad"}),
		"root add missing file":      RootAddRun(&RootAddOptions{IO: f.IO, Factory: f, File: t.TempDir() + "/none.cer"}),
		"root remove --thumbprint":   RootRemoveRun(&RootRemoveOptions{IO: f.IO, Factory: f, Thumbprint: "xyz", Yes: true}),
		"root remove no terminal":    RootRemoveRun(&RootRemoveOptions{IO: f.IO, Factory: f, Name: "r"}),
		"revoke add --thumbprint":    RevokeAddRun(&RevokeAddOptions{IO: f.IO, Factory: f, Thumbprint: "AB"}),
		"revoke add --name":          RevokeAddRun(&RevokeAddOptions{IO: f.IO, Factory: f, Thumbprint: strings.Repeat("A", 40), Name: "a b"}),
		"revoke remove --thumbprint": RevokeRemoveRun(&RevokeRemoveOptions{IO: f.IO, Factory: f, Thumbprint: "AB"}),
	} {
		code := cmdutil.ExitCode(err)
		if err == nil || (code != cmdutil.ExitUsage && code != cmdutil.ExitBadInput) {
			t.Errorf("%s: %v (exit %d), want a usage or input error", name, err, code)
		}
	}
}

func TestVPNError(t *testing.T) {
	tests := []struct {
		name string
		in   error
		hint string
		exit int
	}{
		{"no point-to-site", network.ErrNoPointToSite, "configure point-to-site on the gateway first: an address pool, a tunnel type", 5},
		{"limit", &network.LimitError{Gateway: "rg/gw", Max: 20}, "azcert vpn root remove <name> --gateway rg/gw", 5},
		{"name in use", &network.NameInUseError{Kind: "root certificate", Name: "r"}, "give another --name", 5},
		{"conflicts", &network.ConflictError{Tries: 6, Err: &network.Error{StatusCode: 412}}, "someone else kept changing the gateway", 5},
		{"operation", &network.OperationError{Status: "Failed"}, "Activity log", 5},
		{"401", &network.Error{StatusCode: 401}, "the access token was refused", 5},
		{"403", &network.Error{StatusCode: 403}, "Network Contributor", 5},
		{"404", &network.Error{StatusCode: 404, Code: "ResourceNotFound"}, "check --gateway", 5},
		{"credential", &network.CredentialError{Err: errors.New("none")}, "az login", 5},
		{"500", &network.Error{StatusCode: 500}, "", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := vpnError(tt.in, "rg/gw")
			var h *cmdutil.HintError
			switch {
			case tt.hint == "" && errors.As(err, &h):
				t.Errorf("vpnError(%v) hints %q, want none", tt.in, h.Hint)
			case tt.hint != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint, tt.hint)):
				t.Errorf("vpnError(%v) = %#v, want a hint with %q", tt.in, err, tt.hint)
			}
			if got := cmdutil.ExitCode(err); got != tt.exit {
				t.Errorf("ExitCode(vpnError(%v)) = %d, want %d", tt.in, got, tt.exit)
			}
		})
	}
}
