package entra_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/entra"
)

func azPolicyOptions() policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{entra.DefaultScope}}
}

// cannedToken answers every request with the same status and body.
type cannedToken struct {
	status int
	body   []byte
	n      int
	form   []byte
}

func (c *cannedToken) Do(r *http.Request) (*http.Response, error) {
	c.n++
	if r.Body != nil {
		c.form, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

// FuzzTokenResponses feeds arbitrary answers to SignIn and checks that it
// never panics, returns a token only for a 200 with one, a typed error
// otherwise, and never shows the assertion in its trace or its errors.
func FuzzTokenResponses(f *testing.F) {
	for _, s := range []string{
		`{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"x"}`,
		`{"token_type":"Bearer","expires_in":"3599","access_token":"x"}`,
		`{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.\r\nTrace ID: t","error_codes":[700027],"trace_id":"t","correlation_id":"c"}`,
		`{"error":"invalid_request","error_codes":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18]}`,
		`{"error":{"code":"nested"}}`,
		`<html>502</html>`,
		``,
	} {
		for _, status := range []uint16{200, 400, 401, 503} {
			f.Add(status, []byte(s))
		}
	}
	key := rsaKey(f, 2048)
	cert := selfSigned(f, key)
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code := 200 + int(status)%400
		tr := &cannedToken{status: code, body: body}
		var trace bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tok, err := entra.SignIn(ctx, entra.SignInOptions{Tenant: tokenTenant, ClientID: clientID, Key: key, Cert: cert,
			Transport: tr, MaxRetries: -1, Trace: &trace})
		if tr.n != 1 {
			t.Fatalf("%d requests", tr.n)
		}
		if err == nil {
			if code != 200 || tok == nil || tok.AccessToken == "" || tok.Type != "Bearer" || !tok.ExpiresOn.After(time.Now()) {
				t.Fatalf("status %d: token %+v accepted", code, tok)
			}
		} else {
			var te *entra.TokenError
			var he *azhttp.Error
			var u *azhttp.UnavailableError
			if !errors.As(err, &te) && !errors.As(err, &he) && !errors.As(err, &u) && !strings.HasPrefix(err.Error(), "the answer to ") {
				t.Fatalf("status %d: untyped error %T: %v", code, err, err)
			}
			if te != nil && te.Error() == "" {
				t.Fatal("empty TokenError")
			}
			_ = err.Error()
		}
		i := bytes.Index(tr.form, []byte("client_assertion="))
		assertion := string(tr.form[i+len("client_assertion=") : i+len("client_assertion=")+60])
		if strings.Contains(trace.String(), assertion) || (err != nil && strings.Contains(err.Error(), assertion)) {
			t.Fatalf("the assertion shows:\n%s", trace.String())
		}
	})
}
