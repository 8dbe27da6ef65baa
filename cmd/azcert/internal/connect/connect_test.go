package connect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/network"
)

func testFactory(env map[string]string) *cmdutil.Factory {
	f, _, _ := cmdtest.Factory(env)
	return f
}

func conn() cmdutil.ConnFlags {
	return cmdutil.ConnFlags{Cloud: "public", Timeout: time.Minute, Retries: 4}
}

// The flags are checked before anything is read or sent, one clear usage
// error each, always the same one first.
func TestServiceManagementRefusesBadFlags(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*cmdutil.MgmtFlags)
		want  string
		usage bool
	}{
		{"zero timeout", func(o *cmdutil.MgmtFlags) { o.Conn.Timeout = 0 }, "--timeout must be positive", true},
		{"retries", func(o *cmdutil.MgmtFlags) { o.Conn.Retries = 21 }, "--retries must be between 0 and 20", true},
		{"two certificates", func(o *cmdutil.MgmtFlags) { o.AuthCert, o.PublishSettings = "a.pfx", "b.publishsettings" }, "give one", true},
		{"no certificate", func(o *cmdutil.MgmtFlags) {}, "no management certificate", true},
		{"missing auth cert", func(o *cmdutil.MgmtFlags) { o.AuthCert = filepath.Join(t.TempDir(), "none.pfx") }, "no such file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &cmdutil.MgmtFlags{Conn: conn(), Subscription: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"}
			tc.edit(o)
			_, err := ServiceManagement(context.Background(), testFactory(nil), o)
			var u *cmdutil.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &u) != tc.usage {
				t.Fatalf("ServiceManagement = %v; want %q (usage error: %v)", err, tc.want, tc.usage)
			}
		})
	}
	t.Run("CA file not PEM", func(t *testing.T) {
		o := &cmdutil.APIMFlags{Conn: conn(), Subscription: "s", ResourceGroup: "rg", Service: "svc", AccessToken: "env:TOK"}
		o.Conn.CAFile = notPEM
		_, err := APIManagement(context.Background(), testFactory(map[string]string{"TOK": "t"}), o)
		if err == nil || !strings.Contains(err.Error(), "no PEM certificate found for --ca-file") {
			t.Fatalf("APIManagement = %v", err)
		}
	})
}

// APIManagement names the first missing flag in usage order, builds a
// client with a static token, and reports where it is connected.
func TestAPIManagement(t *testing.T) {
	o := &cmdutil.APIMFlags{Conn: conn()}
	for _, want := range []string{"--subscription is required", "--resource-group is required", "--service is required"} {
		if _, err := APIManagement(context.Background(), testFactory(nil), o); err == nil || err.Error() != want {
			t.Fatalf("APIManagement = %v, want %q", err, want)
		}
		switch {
		case o.Subscription == "":
			o.Subscription = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"
		case o.ResourceGroup == "":
			o.ResourceGroup = "rg"
		default:
			o.Service = "svc"
		}
	}
	o.Conn.Endpoint = "https://127.0.0.1:1"
	s, err := APIManagement(context.Background(), testFactory(map[string]string{"AZCERT_ACCESS_TOKEN": "tok"}), o)
	if err != nil || s.Client == nil || s.Where != "API Management rg/svc" {
		t.Fatalf("APIManagement = %+v, %v", s, err)
	}
	o.AccessToken = "env:EMPTY"
	if _, err := APIManagement(context.Background(), testFactory(map[string]string{"EMPTY": " "}), o); err == nil || !strings.Contains(err.Error(), "the token is empty") {
		t.Fatalf("empty token: %v", err)
	}
}

// RetryNote writes nothing off a terminal, one line per retry on one or
// with --debug, and nothing with --quiet unless --debug.
func TestRetryNote(t *testing.T) {
	f := testFactory(nil)
	if RetryNote(f) != nil {
		t.Error("a note off a terminal")
	}
	f.IO.ErrTTY = true
	if RetryNote(f) == nil {
		t.Error("no note on a terminal")
	}
	f.Quiet = true
	if RetryNote(f) != nil {
		t.Error("a note with --quiet")
	}
	f.Debug = true
	if RetryNote(f) == nil {
		t.Error("no note with --debug")
	}
}

// Network checks --gateway and the subscription before anything else, one
// usage error each, takes the subscription from a resource id, and applies
// the Factory's NetworkOptions.
func TestNetwork(t *testing.T) {
	const sub = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"
	const id = "/subscriptions/" + sub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw"
	env := map[string]string{"AZCERT_ACCESS_TOKEN": "tok"}
	for _, tc := range []struct {
		name, gateway, sub, want string
	}{
		{"no gateway", "", sub, "--gateway is required"},
		{"no slash", "vpngw", sub, `--gateway: "vpngw" is not RESOURCE-GROUP/NAME`},
		{"bad name", "rg-net/-x", sub, `--gateway: VPN gateway "-x" is not a valid name`},
		{"not a gateway id", "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vn", "", "is not the resource id of a VPN gateway"},
		{"no subscription", "rg-net/vpngw", "", "no subscription"},
		{"bad subscription", "rg-net/vpngw", "nope", `subscription "nope" is not a subscription ID`},
		{"two subscriptions", id, "11111111-2222-3333-4444-555555555555", "give one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &cmdutil.NetworkFlags{Conn: conn(), Gateway: tc.gateway, Subscription: tc.sub}
			_, err := Network(context.Background(), testFactory(env), o)
			var u *cmdutil.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &u) {
				t.Fatalf("Network = %v; want a usage error with %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, gateway, sub string }{
		{"short form", "rg-net/vpngw", sub},
		{"resource id", id, ""},
		{"resource id and the same subscription", id, strings.ToUpper(sub)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testFactory(env)
			hooked := false
			f.NetworkOptions = func(o *network.Options) { hooked = o.Subscription != "" && o.Endpoint == "https://127.0.0.1:1" }
			o := &cmdutil.NetworkFlags{Conn: conn(), Gateway: tc.gateway, Subscription: tc.sub}
			o.Conn.Endpoint = "https://127.0.0.1:1"
			s, err := Network(context.Background(), f, o)
			if err != nil || s.Client == nil || s.ResourceGroup != "rg-net" || s.Name != "vpngw" || s.Where != "VPN gateway rg-net/vpngw" || !hooked {
				t.Fatalf("Network = %+v, %v (hook called: %v)", s, err, hooked)
			}
		})
	}
}
