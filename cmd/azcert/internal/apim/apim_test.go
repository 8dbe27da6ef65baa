package apim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/apimclient"
)

var fixedNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testFactory() (f *cmdutil.Factory, out, errOut *bytes.Buffer) {
	f, out, errOut = cmdtest.Factory(nil)
	f.Now = func() time.Time { return fixedNow }
	return f, out, errOut
}

func execute(cmd *cobra.Command, args ...string) error { return cmdtest.Execute(cmd, args...) }

// conn are the API Management flags as their defaults leave them.
func conn(sub, rg, svc string) cmdutil.APIMFlags {
	return cmdutil.APIMFlags{Subscription: sub, ResourceGroup: rg, Service: svc,
		Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4}}
}

// allConn are the connection flags, every one given, and what they make.
var allConn = []string{"--subscription", "00000000-0000-0000-0000-000000000001", "--resource-group", "rg-api", "--service", "contoso-apim",
	"--access-token", "env:TOKEN", "--arm-endpoint", "https://127.0.0.1:8443", "--cloud", "china", "--ca-file", "ca.pem", "--timeout", "30s", "--retries", "2"}

var allConnWant = cmdutil.APIMFlags{Subscription: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg-api", Service: "contoso-apim", AccessToken: "env:TOKEN",
	Conn: cmdutil.ConnFlags{Cloud: "china", Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", Timeout: 30 * time.Second, Retries: 2, CloudChanged: true}}

func TestNewCmdUpload(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    UploadOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"a.pfx"}, want: UploadOptions{File: "a.pfx", APIM: conn("", "", "")}},
		{name: "own flags", args: []string{"a.pfx", "--id", "backend", "--in-password", "env:PW", "--force"},
			want: UploadOptions{File: "a.pfx", ID: "backend", InPassword: "env:PW", Force: true, APIM: conn("", "", "")}},
		{name: "connection flags", args: append([]string{"a.pfx"}, allConn...), want: UploadOptions{File: "a.pfx", APIM: allConnWant}},
		{name: "no file", args: nil, wantErr: "give exactly one .pfx file (got 0)"},
		{name: "two files", args: []string{"a.pfx", "b.pfx"}, wantErr: "give exactly one .pfx file (got 2)"},
		{name: "bad timeout", args: []string{"a.pfx", "--timeout", "soon"}, wantErr: `invalid argument "soon" for "--timeout"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *UploadOptions
			err := execute(NewCmdUpload(f, func(o *UploadOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("upload %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("upload %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("upload %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("upload %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestNewCmdList(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    ListOptions
		wantErr string
	}{
		{name: "defaults", args: nil, want: ListOptions{APIM: conn("", "", "")}},
		{name: "connection flags", args: allConn, want: ListOptions{APIM: allConnWant}},
		{name: "cloud default given", args: []string{"--cloud", "public"}, want: ListOptions{APIM: func() cmdutil.APIMFlags {
			c := conn("", "", "")
			c.Conn.CloudChanged = true
			return c
		}()}},
		{name: "an argument", args: []string{"extra"}, wantErr: `unknown command "extra"`},
		{name: "bad retries", args: []string{"--retries", "many"}, wantErr: `invalid argument "many" for "--retries"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *ListOptions
			err := execute(NewCmdList(f, func(o *ListOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("list %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("list %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("list %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("list %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestNewCmdDelete(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    DeleteOptions
		wantErr string
	}{
		{name: "id", args: []string{"backend"}, want: DeleteOptions{Target: "backend", APIM: conn("", "", "")}},
		{name: "yes", args: []string{"backend", "--yes"}, want: DeleteOptions{Target: "backend", Yes: true, APIM: conn("", "", "")}},
		{name: "-y", args: []string{"-y", "backend"}, want: DeleteOptions{Target: "backend", Yes: true, APIM: conn("", "", "")}},
		{name: "connection flags", args: append([]string{"backend"}, allConn...), want: DeleteOptions{Target: "backend", APIM: allConnWant}},
		{name: "nothing named", args: nil, wantErr: "give one certificate id or thumbprint (got 0)"},
		{name: "two named", args: []string{"a", "b"}, wantErr: "give one certificate id or thumbprint (got 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *DeleteOptions
			err := execute(NewCmdDelete(f, func(o *DeleteOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("delete %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("delete %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("delete %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("delete %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

// TestListThroughFactory hands `apim list` a prepared client through the
// Factory's APIManagement field: the command lists through it, with the
// flags it was given, and prints what the service answered.
func TestListThroughFactory(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/service/contoso-apim/certificates") {
			http.Error(w, `{"error":{"code":"NotFound","message":"no such route"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"value":[{"id":"/subscriptions/x/certificates/backend","name":"backend","properties":{"subject":"CN=backend.contoso.net","thumbprint":"3b4e0c1f9a2b6d7e8f9012345678abcdef012345","expirationDate":"2025-03-31T12:00:00Z"}}]}`)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, output, want string
	}{
		{"text", "text", "ID       SUBJECT                 THUMBPRINT                                LAST4  EXPIRES     DAYS\n" +
			"backend  CN=backend.contoso.net  3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345  2345   2025-03-31  30\n"},
		{"json", "json", `[
  {
    "id": "backend",
    "subject": "CN=backend.contoso.net",
    "thumbprint": "3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345",
    "notAfter": "2025-03-31T12:00:00Z",
    "daysLeft": 30
  }
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory()
			f.Output = tt.output
			var asked *cmdutil.APIMFlags
			f.APIManagement = func(ctx context.Context, o *cmdutil.APIMFlags) (*cmdutil.APIMSession, error) {
				asked = o
				c, err := apimclient.New(apimclient.Options{Endpoint: srv.URL, Credential: apimclient.StaticToken("token"), Transport: srv.Client(),
					Subscription: o.Subscription, ResourceGroup: o.ResourceGroup, Service: o.Service, MaxRetries: -1})
				if err != nil {
					return nil, err
				}
				return &cmdutil.APIMSession{Client: c, Where: "API Management " + o.ResourceGroup + "/" + o.Service}, nil
			}
			err := execute(NewCmdList(f, nil), "--subscription", "00000000-0000-0000-0000-000000000001", "--resource-group", "rg-api", "--service", "contoso-apim")
			if err != nil {
				t.Fatalf("apim list: %v", err)
			}
			if asked == nil || asked.Service != "contoso-apim" || asked.ResourceGroup != "rg-api" {
				t.Errorf("APIManagement got %+v, want the command's flags", asked)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("apim list -o %s printed\n%s\nwant\n%s", tt.output, got, tt.want)
			}
		})
	}
}

func TestAPIMError(t *testing.T) {
	chain := errors.New("DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID. More\n\tManagedIdentityCredential: no default identity is assigned; see\n\tAzureCLICredential: Azure CLI not found on path\n\tAzureCLICredential: again")
	tests := []struct {
		name      string
		in        error
		msg, hint string
		exit      int
	}{
		{"credential chain", &apimclient.CredentialError{Err: chain},
			"no Azure credential is available; tried Environment (missing environment variable AZURE_TENANT_ID), ManagedIdentity (no default identity is assigned), AzureCLI (Azure CLI not found on path)",
			"log in with 'az login'", cmdutil.ExitCode(&cmdutil.CredentialError{Err: chain})},
		{"credential, no names", &apimclient.CredentialError{Err: errors.New("no\n  token")}, "no Azure credential is available: no token", "give --access-token", cmdutil.ExitCode(&cmdutil.CredentialError{Err: chain})},
		{"401", &apimclient.Error{StatusCode: 401, Code: "InvalidAuthenticationToken"}, "", "the access token was refused", -1},
		{"403", &apimclient.Error{StatusCode: 403, Code: "AuthorizationFailed"}, "", "API Management Service Contributor", -1},
		{"in use", &apimclient.Error{StatusCode: 409, Code: "CertificateInUse"}, "", "detach the certificate", -1},
		{"other", &apimclient.Error{StatusCode: 500, Code: "InternalError"}, "", "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apimError(tt.in)
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("apimError(%v) = %q, want %q", tt.in, err, tt.msg)
			}
			var h *cmdutil.HintError
			switch {
			case tt.hint == "" && errors.As(err, &h):
				t.Errorf("apimError(%v) hints %q, want no hint", tt.in, h.Hint)
			case tt.hint != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint, tt.hint)):
				t.Errorf("apimError(%v) = %#v, want a hint with %q", tt.in, err, tt.hint)
			}
			if tt.exit >= 0 && cmdutil.ExitCode(err) != tt.exit {
				t.Errorf("ExitCode(apimError(%v)) = %d, want %d", tt.in, cmdutil.ExitCode(err), tt.exit)
			}
		})
	}
}
