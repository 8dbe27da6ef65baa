package keyvault_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azcert/azcert/pkg/keyvault"
)

// The secrets FuzzResponses sends; they must never reach the trace.
const (
	fuzzToken    = "FUZZ-bearer-token-7c1e"
	fuzzPassword = "FUZZ-pfx-Pa55word-42af"
	fuzzVault    = "https://contoso.vault.azure.net"
)

var fuzzPFX = []byte("FUZZ-PFX-DATA-0123456789-not-a-real-pfx-but-secret")

type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// canned answers every request with the same status, challenge and body.
type canned struct {
	status    int
	challenge string
	body      []byte
	n         atomic.Int32
}

func (c *canned) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n := c.n.Add(1)
	h := http.Header{}
	h.Set("x-ms-request-id", fmt.Sprintf("00000000-0000-0000-0000-%012d", n))
	h.Set("Content-Type", "application/json; charset=utf-8")
	if c.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", c.challenge)
	}
	return &http.Response{
		StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r,
	}, nil
}

// FuzzResponses feeds arbitrary answers (status, challenge, body) to every
// Key Vault call and checks that the client never panics, follows at most
// MaxPages nextLinks, returns a typed error for every status it does not
// accept and a parse error for a body it cannot read, and keeps the token,
// the .pfx and its password out of its trace.
func FuzzResponses(f *testing.F) {
	id := fuzzVault + "/certificates/web/0123456789abcdef0123456789abcdef"
	cer := base64.StdEncoding.EncodeToString([]byte("not DER but bytes"))
	bundle := `{"id":"` + id + `","kid":"k","sid":"s","x5t":"","cer":"` + cer + `","attributes":{"enabled":true,"nbf":1767225600,"exp":1798761600,"created":1,"updated":2,"recoveryLevel":"Recoverable+Purgeable"},"tags":{"a":"b"}}`
	seeds := []string{
		bundle,
		`{"id":"` + id + `","x5t":"AAAAAAAAAAAAAAAAAAAAAAAAAAA","cer":"` + cer + `"}`,
		`{"id":"` + id + `","recoveryId":"` + fuzzVault + `/deletedcertificates/web","deletedDate":1767312000,"scheduledPurgeDate":1775088000}`,
		`{"value":[{"id":"` + fuzzVault + `/certificates/web","x5t":"HKLm6LmjHr4_EYsjooRUE3qg9QQ","attributes":{"enabled":false}}],"nextLink":"` + fuzzVault + `:443/certificates?api-version=7.5&$skiptoken=x"}`,
		`{"value":[],"nextLink":"https://evil.example/certificates"}`,
		`{"value":[{"id":"https://x/keys/k"}],"nextLink":null}`,
		`{"value":[{"id":1}]}`,
		`{"id":"` + id + `","attributes":{"nbf":1.5}}`,
		`{"error":{"code":"Forbidden","message":"no","innererror":{"code":"ForbiddenByPolicy"}}}`,
		`{"error":{"code":"Conflict","message":"Certificate web is currently in a deleted but recoverable state"}}`,
		`{"error":{"code":"Throttled","message":"Too many requests."}}`,
		strings.Repeat(`{"innererror":`, 5000),
		`<html>Bad Gateway</html>`,
		``,
	}
	challenges := []string{
		`Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net"`,
		`Bearer authorization="https://login.microsoftonline.com/t", resource="https://evil.example"`,
		`Bearer scope="https://vault.azure.net/.default"`,
		`Bearer`,
	}
	for i, s := range seeds {
		for j, status := range []uint16{200, 204, 401, 404, 409} {
			f.Add(uint8(i), status, challenges[(i+j)%len(challenges)], []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, status uint16, challenge string, body []byte) {
		code := 200 + int(status)%400
		tr := &canned{status: code, challenge: challenge, body: body}
		var trace bytes.Buffer
		c, err := keyvault.New(keyvault.Options{VaultURL: fuzzVault, Credential: staticToken(fuzzToken), Transport: tr,
			MaxRetries: -1, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var callErr error
		accepted := []int{200}
		switch op % 8 {
		case 0:
			_, callErr = c.Import(ctx, "web", keyvault.ImportParams{Value: fuzzPFX, Password: fuzzPassword})
		case 1:
			_, callErr = c.Get(ctx, "web", "")
		case 2:
			_, callErr = c.List(ctx)
		case 3:
			_, callErr = c.ListVersions(ctx, "web")
		case 4:
			_, callErr = c.Delete(ctx, "web")
		case 5:
			_, callErr = c.GetDeleted(ctx, "web")
		case 6:
			callErr = c.Purge(ctx, "web")
			accepted = []int{204}
		case 7:
			_, callErr = c.Recover(ctx, "web")
		}
		if n := tr.n.Load(); n > keyvault.MaxPages+1 {
			t.Fatalf("op %d: %d requests, more than MaxPages", op%8, n)
		}
		if callErr != nil {
			var e *keyvault.Error
			var u *keyvault.UnavailableError
			var ce *keyvault.CredentialError
			msg := callErr.Error()
			if !errors.As(callErr, &e) && !errors.As(callErr, &u) && !errors.As(callErr, &ce) &&
				!strings.HasPrefix(msg, "the answer to ") && !strings.HasPrefix(msg, "the certificate list") &&
				!strings.HasPrefix(msg, "nextLink ") && !strings.HasPrefix(msg, "more than ") {
				t.Fatalf("op %d, status %d: untyped error %T: %v", op%8, code, callErr, callErr)
			}
			if e != nil && e.StatusCode != code {
				t.Fatalf("op %d: Error.StatusCode = %d, the server said %d", op%8, e.StatusCode, code)
			}
		} else if !slices.Contains(accepted, code) {
			t.Fatalf("op %d: status %d accepted as success", op%8, code)
		}
		out := trace.String()
		for _, secret := range []string{fuzzToken, fuzzPassword, base64.StdEncoding.EncodeToString(fuzzPFX)[:24]} {
			if !bytes.Contains(body, []byte(secret)) && !strings.Contains(challenge, secret) && strings.Contains(out, secret) {
				t.Fatalf("the trace shows %q:\n%s", secret, out)
			}
		}
	})
}
