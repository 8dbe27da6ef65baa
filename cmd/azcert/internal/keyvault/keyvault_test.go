package keyvault

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	kv "github.com/azcert/azcert/pkg/keyvault"
)

var connArgs = []string{"--vault", "contoso-kv", "--cloud", "china", "--access-token", "env:TOK", "--ca-file", "ca.pem", "--timeout", "30s", "--retries", "2"}

var connWant = cmdutil.KeyVaultFlags{AccessToken: "env:TOK",
	Conn: cmdutil.ConnFlags{Cloud: "china", Endpoint: "contoso-kv", CAFile: "ca.pem", Timeout: 30 * time.Second, Retries: 2, CloudChanged: true}}

var connDefault = cmdutil.KeyVaultFlags{Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4}}

func TestNewCmdImport(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdImport, []string{"a.pfx"}, ImportOptions{Vault: connDefault, File: "a.pfx"})
	cmdtest.CheckOptions(t, NewCmdImport, append([]string{"a.pfx", "--name", "web", "--in-password", "env:PW", "--tags", "a=1,b=2", "--disabled"}, connArgs...),
		ImportOptions{Vault: connWant, File: "a.pfx", Name: "web", InPassword: "env:PW", Tags: map[string]string{"a": "1", "b": "2"}, Disabled: true})
	cmdtest.CheckOptions(t, NewCmdImport, []string{"a.pfx", "--password", "file:pw", "--tags", "a=1", "--tags", "b=2"},
		ImportOptions{Vault: connDefault, File: "a.pfx", InPassword: "file:pw", Tags: map[string]string{"a": "1", "b": "2"}})
	cmdtest.Refused(t, NewCmdImport, []string{}, "give one .pfx or PEM file")
	cmdtest.Refused(t, NewCmdImport, []string{"a.pfx", "b.pfx"}, "give one .pfx or PEM file")
	cmdtest.Refused(t, NewCmdImport, []string{"a.pfx", "--tags", "novalue"}, "invalid argument")
}

func TestNewCmdList(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdList, []string{}, ListOptions{Vault: connDefault})
	cmdtest.CheckOptions(t, NewCmdList, append([]string{"--include-versions", "web"}, connArgs...), ListOptions{Vault: connWant, Versions: "web"})
	cmdtest.Refused(t, NewCmdList, []string{"extra"}, "unknown command")
}

func TestNewCmdShow(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdShow, []string{"web"}, ShowOptions{Vault: connDefault, Name: "web"})
	cmdtest.CheckOptions(t, NewCmdShow, append([]string{"web", "--version", "abc"}, connArgs...), ShowOptions{Vault: connWant, Name: "web", Version: "abc"})
	cmdtest.Refused(t, NewCmdShow, []string{}, "give the certificate's name")
}

func TestNewCmdDelete(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdDelete, []string{"web"}, DeleteOptions{Vault: connDefault, Name: "web"})
	cmdtest.CheckOptions(t, NewCmdDelete, append([]string{"web", "--purge", "-y"}, connArgs...), DeleteOptions{Vault: connWant, Name: "web", Purge: true, Yes: true})
	cmdtest.Refused(t, NewCmdDelete, []string{"a", "b"}, "give the certificate's name")
}

func TestNewCmdRecover(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdRecover, []string{"web"}, RecoverOptions{Vault: connDefault, Name: "web"})
	cmdtest.CheckOptions(t, NewCmdRecover, append([]string{"web"}, connArgs...), RecoverOptions{Vault: connWant, Name: "web"})
	cmdtest.Refused(t, NewCmdRecover, []string{}, "give the deleted certificate's name")
}

func TestDefaultName(t *testing.T) {
	for _, tt := range []struct {
		cn   string
		dns  []string
		want string
	}{
		{"contoso.net", []string{"contoso.net", "www.contoso.net"}, "contoso-net"},
		{"x", []string{"*.contoso.net"}, "wildcard-contoso-net"},
		{"azcert mgmt", nil, "azcert-mgmt"},
		{"...", nil, "certificate"},
	} {
		c := &x509.Certificate{Subject: pkix.Name{CommonName: tt.cn}, DNSNames: tt.dns}
		if got := DefaultName(c); got != tt.want || !kv.ValidName(got) {
			t.Errorf("DefaultName(%q, %v) = %q, want %q", tt.cn, tt.dns, got, tt.want)
		}
	}
}

// The errors users can act on get a hint naming what to do, and keep
// their exit code.
func TestVaultError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		hint string
		code int
	}{
		{&kv.Error{StatusCode: http.StatusForbidden, Code: "ForbiddenByPolicy"}, "access policy", 5},
		{&kv.Error{StatusCode: http.StatusForbidden, Code: "ForbiddenByRbac"}, "Key Vault Certificates Officer", 5},
		{&kv.Error{StatusCode: http.StatusConflict, Code: "ObjectIsDeletedButRecoverable", Message: "Certificate web is currently in a deleted but recoverable state"}, "azcert keyvault recover web --vault kv", 5},
		{&kv.Error{StatusCode: http.StatusUnauthorized, Code: "Unauthorized"}, "fresh one", 5},
		{&kv.CredentialError{Err: &kv.ChallengeError{}}, "check --vault", 5},
		{&kv.CredentialError{Err: errors.New("EnvironmentCredential: missing AZURE_TENANT_ID")}, "az login", 5},
	} {
		err := vaultError(tt.err, "web", "kv")
		var h *cmdutil.HintError
		if !errors.As(err, &h) || !strings.Contains(h.Hint, tt.hint) || cmdutil.ExitCode(err) != tt.code {
			t.Errorf("vaultError(%v) = %v (exit %d); want the hint %q and exit %d", tt.err, err, cmdutil.ExitCode(err), tt.hint, tt.code)
		}
	}
}
