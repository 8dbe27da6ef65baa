package keyvault_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/keyvault"
)

// The client and the emulator were written apart, each from Key Vault's
// REST reference; this test has them talk.

// countingToken is a static token that counts what was asked of it.
type countingToken struct {
	token  string
	scopes []string
	tenant []string
}

func (c *countingToken) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.scopes = append(c.scopes, strings.Join(o.Scopes, " "))
	c.tenant = append(c.tenant, o.TenantID)
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func pfx(t *testing.T, key *rsa.PrivateKey, cn, password string) ([]byte, string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	data, err := gopkcs12.LegacyDES.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(der)
	return data, strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestAgainstEmulator(t *testing.T) {
	srv := emulatortest.NewServer(t, azure.Config{})
	tok := &countingToken{token: srv.APIM.Token()}
	c, err := keyvault.New(keyvault.Options{VaultURL: srv.URL, Credential: tok, RetryDelay: time.Millisecond,
		Transport: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)

	// 30 certificates: the list comes in pages (25 and 5) and is whole.
	thumbs := map[string]string{}
	for i := range 30 {
		name := fmt.Sprintf("cert-%02d", i)
		data, thumb := pfx(t, key, name+".contoso.net", "pw")
		got, err := c.Import(ctx, name, keyvault.ImportParams{Value: data, Password: "pw"})
		if err != nil {
			t.Fatalf("Import(%s): %v", name, err)
		}
		if got.Thumbprint != thumb || got.Version == "" || !strings.HasPrefix(got.SID, srv.URL+"/secrets/"+name+"/") {
			t.Fatalf("Import(%s) = %+v, want thumbprint %s and a versioned sid", name, got, thumb)
		}
		thumbs[name] = thumb
	}
	if len(tok.scopes) != 1 || tok.scopes[0] != "https://127.0.0.1/.default" || tok.tenant[0] != srv.KeyVault.Tenant() {
		t.Errorf("tokens asked: scopes %q tenants %q; want one, for the challenge's scope and tenant", tok.scopes, tok.tenant)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 30 {
		t.Fatalf("List = %d certificates, %v; want 30", len(list), err)
	}
	for _, l := range list {
		if thumbs[l.Name] != l.Thumbprint {
			t.Errorf("List: %s has thumbprint %s, want %s", l.Name, l.Thumbprint, thumbs[l.Name])
		}
	}

	// Versions, get by version.
	data, thumb2 := pfx(t, key, "cert-00.contoso.net", "")
	v2, err := c.Import(ctx, "cert-00", keyvault.ImportParams{Value: data})
	if err != nil {
		t.Fatal(err)
	}
	versions, err := c.ListVersions(ctx, "cert-00")
	if err != nil || len(versions) != 2 {
		t.Fatalf("ListVersions = %d, %v; want 2", len(versions), err)
	}
	if got, err := c.Get(ctx, "cert-00", ""); err != nil || got.Thumbprint != thumb2 || got.Version != v2.Version {
		t.Errorf("Get(current) = %+v, %v; want version %s", got, err, v2.Version)
	}

	// Refusals in Key Vault's words: a wrong password, a missing name.
	data, _ = pfx(t, key, "x.contoso.net", "right")
	if _, err := c.Import(ctx, "x", keyvault.ImportParams{Value: data, Password: "wrong"}); !isStatus(err, http.StatusBadRequest) {
		t.Errorf("Import with a wrong password = %v, want 400", err)
	}
	if _, err := c.Get(ctx, "nosuch", ""); !keyvault.IsNotFound(err) {
		t.Errorf("Get(nosuch) = %v, want not found", err)
	}

	// Delete, the name held, recover, delete again, purge.
	d, err := c.Delete(ctx, "cert-01")
	if err != nil || d.RecoveryID != srv.URL+"/deletedcertificates/cert-01" || d.ScheduledPurgeDate.IsZero() {
		t.Fatalf("Delete = %+v, %v", d, err)
	}
	data, _ = pfx(t, key, "cert-01.contoso.net", "")
	if _, err := c.Import(ctx, "cert-01", keyvault.ImportParams{Value: data}); !keyvault.IsDeletedButRecoverable(err) {
		t.Errorf("Import over a deleted certificate = %v, want deleted but recoverable", err)
	}
	if _, err := c.Recover(ctx, "cert-01"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "cert-01", ""); err != nil || got.Thumbprint != thumbs["cert-01"] {
		t.Errorf("Get after Recover = %+v, %v", got, err)
	}
	if _, err := c.Delete(ctx, "cert-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDeleted(ctx, "cert-01"); err != nil {
		t.Fatal(err)
	}
	if err := c.Purge(ctx, "cert-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDeleted(ctx, "cert-01"); !keyvault.IsNotFound(err) {
		t.Errorf("GetDeleted after Purge = %v, want not found", err)
	}
	if len(tok.scopes) != 1 {
		t.Errorf("%d tokens asked for over all the calls, want 1", len(tok.scopes))
	}
}

func isStatus(err error, status int) bool {
	var e *azhttp.Error
	return errors.As(err, &e) && e.StatusCode == status
}
