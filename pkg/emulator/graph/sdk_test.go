package graph_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
)

// loginHost is where MSAL sends instance discovery for an authority host
// it does not know (microsoft-authentication-library-for-go,
// apps/internal/oauth/ops/authority: AADInstanceDiscovery).
const loginHost = "login.microsoftonline.com"

// toEmulator is a transport that trusts the emulator and sends what MSAL
// addresses to loginHost to the emulator instead, as no request may
// leave the machine.
type toEmulator struct {
	c    *http.Client
	host string // the emulator's host:port
}

func (t *toEmulator) Do(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Host, loginHost) {
		req = req.Clone(req.Context())
		req.URL.Host, req.Host = t.host, t.host
	}
	return t.c.Do(req)
}

// The official SDK signs in with a certificate credential the emulator
// holds (PS256 with x5t#S256 in standard base64, as MSAL writes them), with
// instance discovery and without, and Graph then takes the token.
func TestAzidentityClientCertificateCredential(t *testing.T) {
	for _, discovery := range []bool{false, true} {
		name := "DisableInstanceDiscovery"
		if discovery {
			name = "with instance discovery"
		}
		t.Run(name, func(t *testing.T) {
			// The wall clock: MSAL dates its assertion with time.Now.
			srv := emulatortest.NewServer(t, azure.Config{ARMToken: token, EntraApps: []string{"ci-deploy"}})
			e := &entraEmu{srv: srv, c: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}}}, app: srv.Graph.Apps()[0]}
			cert := certFor(t)
			wantStatus(t, "PATCH", e.patch(t, "/v1.0/applications/"+e.app.ObjectID, cred(cert, nil)), http.StatusNoContent)
			srv.ResetRequests()

			tr := &toEmulator{c: e.c, host: strings.TrimPrefix(srv.URL, "https://")}
			cred, err := azidentity.NewClientCertificateCredential(srv.Graph.Tenant(), e.app.AppID, []*x509.Certificate{cert}, emutest.Certs(t).Key,
				&azidentity.ClientCertificateCredentialOptions{
					ClientOptions: azcore.ClientOptions{
						Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"},
						Transport: tr,
					},
					DisableInstanceDiscovery: !discovery,
				})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{srv.URL + "/.default"}})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			seen := map[string]bool{}
			for _, r := range srv.Requests() {
				seen[r.Method+" "+r.Path] = true
				if r.Method == http.MethodPost {
					wantPS256(t, r.Body)
				}
			}
			tenant := srv.Graph.Tenant()
			for path, want := range map[string]bool{
				"GET /common/discovery/instance":                            discovery,
				"GET /" + tenant + "/v2.0/.well-known/openid-configuration": true,
				"POST /" + tenant + "/oauth2/v2.0/token":                    true,
			} {
				if seen[path] != want {
					t.Errorf("request %s made: %v, want %v (requests %v)", path, seen[path], want, seen)
				}
			}
			a := e.do(t, http.MethodGet, "/v1.0/applications(appId='"+e.app.AppID+"')", nil, tok.Token)
			wantStatus(t, "GET with the SDK's token", a, http.StatusOK)
			if o := decode[object](t, a); o.ID != e.app.ObjectID || len(o.KeyCredentials) != 1 {
				t.Errorf("GET with the SDK's token = %+v", o)
			}

			// A certificate the application does not hold is refused with
			// AADSTS700027, which the SDK reports.
			other := emutest.Certs(t).Admin.Cert
			bad, err := azidentity.NewClientCertificateCredential(tenant, e.app.AppID, []*x509.Certificate{other}, emutest.Certs(t).Key,
				&azidentity.ClientCertificateCredentialOptions{ClientOptions: azcore.ClientOptions{
					Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"}, Transport: tr}, DisableInstanceDiscovery: !discovery})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bad.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{srv.URL + "/.default"}}); err == nil || !strings.Contains(err.Error(), "AADSTS700027") {
				t.Errorf("GetToken with an unregistered certificate: %v, want AADSTS700027", err)
			}
		})
	}
}

// wantPS256 checks that the SDK's assertion is what the emulator must
// take beside entra's RS256: PS256 naming the certificate by x5t#S256.
func wantPS256(t *testing.T, body []byte) {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(form.Get("client_assertion"), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(head)
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil || h["alg"] != "PS256" || h["x5t#S256"] == nil {
		t.Errorf("the SDK's assertion header = %s, want PS256 with x5t#S256", raw)
	}
}
