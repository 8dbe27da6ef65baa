package connect

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

const testApp = "41ccda45-f054-4b4c-828b-d68d4fc40758"

// --cloud picks Graph and the authority; --graph-endpoint and --authority
// override them; an unknown cloud is refused either way.
func TestGraphEndpointAndAuthority(t *testing.T) {
	for _, tc := range []struct {
		cloud, endpoint  string
		graph, authority string
		wantErr          string
	}{
		{"public", "", "https://graph.microsoft.com", "https://login.microsoftonline.com", ""},
		{"china", "", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn", ""},
		{"usgov", "", "https://graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"public", "https://127.0.0.1:8443/", "https://127.0.0.1:8443", "https://127.0.0.1:8443", ""},
		{"mars", "", "", "", "--cloud"},
		{"mars", "https://127.0.0.1:8443", "", "", "--cloud"},
	} {
		c := cmdutil.ConnFlags{Cloud: tc.cloud, Endpoint: tc.endpoint}
		g, gerr := GraphEndpoint(&c)
		a, aerr := SignInAuthority(&c)
		if tc.wantErr != "" {
			var u *cmdutil.UsageError
			if !errors.As(gerr, &u) || !errors.As(aerr, &u) || !strings.Contains(gerr.Error(), tc.wantErr) {
				t.Errorf("%s %s: %v, %v; want usage errors naming %s", tc.cloud, tc.endpoint, gerr, aerr, tc.wantErr)
			}
			continue
		}
		if g != tc.graph || a != tc.authority || gerr != nil || aerr != nil {
			t.Errorf("%s %s: Graph %q (%v), authority %q (%v); want %q, %q", tc.cloud, tc.endpoint, g, gerr, a, aerr, tc.graph, tc.authority)
		}
	}
	if _, err := SignInAuthority(&cmdutil.ConnFlags{Cloud: "public", Endpoint: "login.example"}); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("SignInAuthority(login.example) = %v, want a usage error asking for https://", err)
	}
}

// Graph refuses, before anything is sent, what cannot be right.
func TestGraphRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*cmdutil.EntraFlags)
		want string
	}{
		{"no app", func(o *cmdutil.EntraFlags) { o.App = "" }, "--app is required"},
		{"app not a GUID", func(o *cmdutil.EntraFlags) { o.App = "ci-deploy" }, "is not an app id or object id"},
		{"zero timeout", func(o *cmdutil.EntraFlags) { o.Conn.Timeout = 0 }, "--timeout must be positive"},
		{"cloud", func(o *cmdutil.EntraFlags) { o.Conn.Cloud = "mars" }, "--cloud"},
		{"empty token", func(o *cmdutil.EntraFlags) { o.AccessToken = "env:EMPTY" }, "the token is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &cmdutil.EntraFlags{Conn: conn(), App: testApp, AccessToken: "env:TOK"}
			tc.edit(o)
			_, err := Graph(context.Background(), testFactory(map[string]string{"TOK": "t", "EMPTY": " "}), o)
			var u *cmdutil.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &u) {
				t.Fatalf("Graph = %v; want the usage error %q", err, tc.want)
			}
		})
	}
	f := testFactory(map[string]string{"TOK": "t"})
	var seen graph.Options
	f.GraphOptions = func(o *graph.Options) { seen = *o }
	s, err := Graph(context.Background(), f, &cmdutil.EntraFlags{Conn: conn(), App: testApp, AccessToken: "env:TOK"})
	if err != nil || s.Where != "Microsoft Graph https://graph.microsoft.com" || seen.Endpoint != graph.DefaultEndpoint || seen.MaxRetries != 4 {
		t.Errorf("Graph = %+v, %v (options %+v)", s, err, seen)
	}
}

// SignIn fills in what the command leaves out: the authority and the
// scope of --cloud, the transport and retries of the connection flags.
func TestSignInDefaults(t *testing.T) {
	f := testFactory(nil)
	var seen entra.SignInOptions
	f.SignInOptions = func(o *entra.SignInOptions) {
		seen = *o
		o.Key = nil // SignIn refuses it: nothing is sent
	}
	c := conn()
	c.Cloud, c.Retries = "china", 0
	_, err := SignIn(context.Background(), f, &c, entra.SignInOptions{Tenant: "t", ClientID: testApp})
	if err == nil {
		t.Fatal("SignIn without a key succeeded")
	}
	if seen.Authority != "https://login.chinacloudapi.cn" || seen.Scope != "https://microsoftgraph.chinacloudapi.cn/.default" || seen.MaxRetries != -1 || seen.Transport == nil || seen.Now == nil {
		t.Errorf("SignIn options = %+v", seen)
	}
}
