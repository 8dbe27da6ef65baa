package apimclient_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/apimclient"
)

// The secrets FuzzARMResponses sends; they must never reach the trace.
const (
	fuzzToken    = "FUZZ-bearer-token-5d0a"
	fuzzPassword = "FUZZ-pfx-Pa55word-93be"
	fuzzEndpoint = "https://arm.example"
)

var fuzzPFX = []byte("FUZZ-PFX-DATA-0123456789-not-a-real-pfx-but-secret")

// cannedARM answers every request with the same status and body.
type cannedARM struct {
	status     int
	body       []byte
	retryAfter bool
	n          atomic.Int32
}

func (c *cannedARM) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n := c.n.Add(1)
	h := http.Header{}
	h.Set("x-ms-request-id", fmt.Sprintf("00000000-0000-0000-0000-%012d", n))
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("ETag", `"fuzz"`)
	if c.retryAfter {
		h.Set("Retry-After", "0")
	}
	return &http.Response{
		StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r,
	}, nil
}

// FuzzARMResponses feeds arbitrary answers to every API Management call and
// checks that the client never panics, follows at most MaxPages nextLinks,
// never follows one away from the endpoint, returns a typed error for every
// status it does not accept, and keeps the token, the .pfx and its password
// out of its trace.
func FuzzARMResponses(f *testing.F) {
	base := fuzzEndpoint + "/subscriptions/" + sub + "/resourceGroups/rg-api/providers/Microsoft.ApiManagement/service/contoso-apim/certificates"
	seeds := []string{
		contractJSON("contoso-net-0A1B2C3D", strings.Repeat("A", 40)),
		`{"value":[` + contractJSON("a", strings.Repeat("A", 40)) + `],"nextLink":"` + base + `?api-version=2022-08-01&$skip=1"}`,
		`{"value":[],"nextLink":"https://evil.example/subscriptions/x"}`,
		`{"value":[{"name":1}]}`,
		`{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded."}}`,
		`{"error":{"code":"CertificateInUse","message":"Certificate 'a' is referenced by backend 'b1'.","details":[{"code":"x"}]}}`,
		`{"properties":{"expirationDate":"not a date"}}`,
		strings.Repeat("[", 10000),
		`<html>Bad Gateway</html>`,
		``,
	}
	for i, s := range seeds {
		for _, status := range []uint16{200, 201, 204, 404, 409, 429} {
			f.Add(uint8(i), status, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, status uint16, body []byte) {
		code := 200 + int(status)%400
		tr := &cannedARM{status: code, body: body, retryAfter: op&0x80 != 0}
		var trace bytes.Buffer
		c, err := apimclient.New(apimclient.Options{
			Endpoint: fuzzEndpoint, Credential: apimclient.StaticToken(fuzzToken), Transport: tr,
			Subscription: sub, ResourceGroup: "rg-api", Service: "contoso-apim",
			MaxRetries: -1, Trace: &trace,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var callErr error
		accepted := []int{200}
		switch op % 4 {
		case 0:
			_, callErr = c.Get(ctx, "contoso-net-0A1B2C3D")
		case 1:
			_, callErr = c.List(ctx)
		case 2:
			_, callErr = c.CreateOrUpdate(ctx, "contoso-net-0A1B2C3D", fuzzPFX, fuzzPassword, "*")
			accepted = []int{200, 201}
		case 3:
			_, callErr = c.Delete(ctx, "contoso-net-0A1B2C3D", "*")
			accepted = []int{200, 204}
		}
		if n := tr.n.Load(); n > apimclient.MaxPages {
			t.Fatalf("op %d: %d requests, more than MaxPages", op%4, n)
		}
		if callErr != nil {
			var e *apimclient.Error
			var u *apimclient.UnavailableError
			msg := callErr.Error()
			if !errors.As(callErr, &e) && !errors.As(callErr, &u) && !strings.Contains(msg, "not a certificate contract") &&
				!strings.Contains(msg, "not the expected JSON") && !strings.Contains(msg, "nextLink") && !strings.Contains(msg, "pages") {
				t.Fatalf("op %d, status %d: untyped error %T: %v", op%4, code, callErr, callErr)
			}
			if e != nil && e.StatusCode != code {
				t.Fatalf("op %d: Error.StatusCode = %d, the server said %d", op%4, e.StatusCode, code)
			}
		} else if !containsInt(accepted, code) {
			t.Fatalf("op %d: status %d accepted as success", op%4, code)
		}
		out := trace.String()
		for _, secret := range []string{fuzzToken, fuzzPassword, base64.StdEncoding.EncodeToString(fuzzPFX)[:24]} {
			if !bytes.Contains(body, []byte(secret)) && strings.Contains(out, secret) {
				t.Fatalf("the trace shows %q:\n%s", secret, out)
			}
		}
	})
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
