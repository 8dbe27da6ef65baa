package graph_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/graph"
)

// The secrets FuzzResponses sends; they must never reach the trace.
const (
	fuzzToken = "FUZZ-graph-token-9d2b"
	fuzzProof = "eyJGVVpaIjoicHJvb2YifQ.FUZZ-proof-claims-77.FUZZ-proof-signature-31"
	fuzzObj   = "aaaaaaaa-0000-4000-8000-000000000001"
	fuzzKeyID = "cccccccc-0000-4000-8000-000000000001"
)

var fuzzDER = []byte("FUZZ-certificate-DER-not-a-real-one-but-it-stays-out-of-the-trace")

// canned answers every request with the same status and body.
type canned struct {
	status int
	body   []byte
	n      atomic.Int32
}

func (c *canned) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n := c.n.Add(1)
	h := http.Header{}
	h.Set("request-id", fmt.Sprintf("00000000-0000-0000-0000-%012d", n))
	h.Set("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8")
	return &http.Response{StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

// FuzzResponses feeds arbitrary answers (status, body) to every Graph call
// and checks that the client never panics, makes a bounded number of
// requests, returns a typed error (or a parse error) for what it does not
// accept, never reports success for a status it does not accept, and keeps
// the token, the certificate and the proof out of its trace.
func FuzzResponses(f *testing.F) {
	sum := sha1.Sum(fuzzDER)
	key := base64.StdEncoding.EncodeToString(fuzzDER)
	cred := `{"customKeyIdentifier":"` + base64.StdEncoding.EncodeToString(sum[:]) + `","displayName":"CN=x","endDateTime":"2027-12-07T05:00:00Z","key":"` + key + `","keyId":"` + fuzzKeyID + `","startDateTime":"2026-12-07T05:00:00Z","type":"AsymmetricX509Cert","usage":"Verify"}`
	seeds := []string{
		`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications/$entity","id":"` + fuzzObj + `","appId":"b","displayName":"a","keyCredentials":[` + cred + `]}`,
		`{"id":"` + fuzzObj + `","keyCredentials":[{"customKeyIdentifier":"C904755C8A9084173281514FACE88A8B7716027E","key":null,"keyId":"k"}]}`,
		`{"id":"` + fuzzObj + `","keyCredentials":[{"key":"%%%","keyId":"k"}]}`,
		`{"id":"` + fuzzObj + `","keyCredentials":[{"endDateTime":"yesterday"}]}`,
		`{"id":"","keyCredentials":null}`,
		cred,
		`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2026-12-07T05:00:00","request-id":"r","client-request-id":"c"}}}`,
		`{"error":{"code":"Authentication_MissingOrMalformed","message":"Access Token missing or malformed."}}`,
		`{"error":{"code":"TooManyRequests","message":"Too many requests."}}`,
		strings.Repeat(`{"error":{"innerError":`, 3000),
		`<html>Bad Gateway</html>`,
		``,
	}
	for i, s := range seeds {
		for _, status := range []uint16{200, 204, 400, 404} {
			f.Add(uint8(i), status, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, status uint16, body []byte) {
		code := 200 + int(status)%400
		tr := &canned{status: code, body: body}
		var trace bytes.Buffer
		c, err := graph.New(graph.Options{Credential: staticToken(fuzzToken), Transport: tr, MaxRetries: -1, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		kc := graph.KeyCredential{Key: fuzzDER, DisplayName: "CN=x"}
		var callErr error
		accepted := 200
		maxRequests := 2
		switch op % 7 {
		case 0:
			_, callErr = c.Get(ctx, graph.Application, fuzzObj, true)
			maxRequests = 1
		case 1:
			_, callErr = c.Find(ctx, graph.ServicePrincipal, fuzzObj, false)
		case 2:
			callErr = c.SetKeyCredentials(ctx, graph.Application, fuzzObj, []graph.KeyCredential{kc})
			accepted, maxRequests = 204, 1
		case 3:
			_, callErr = c.AddKey(ctx, graph.Application, fuzzObj, kc, fuzzProof)
		case 4:
			callErr = c.RemoveKey(ctx, graph.Application, fuzzObj, fuzzKeyID, fuzzProof)
			accepted = 204
		case 5:
			_, callErr = c.AddCredential(ctx, graph.Application, fuzzObj, kc)
			accepted, maxRequests = -1, 1+2*graph.MaxRounds
		case 6:
			_, callErr = c.RemoveCredential(ctx, graph.Application, fuzzObj, fuzzKeyID)
			accepted, maxRequests = -1, 1+2*graph.MaxRounds
		}
		if n := int(tr.n.Load()); n > maxRequests {
			t.Fatalf("op %d: %d requests, want at most %d", op%7, n, maxRequests)
		}
		if callErr != nil {
			var e *graph.Error
			var u *graph.UnavailableError
			var se *graph.StateError
			msg := callErr.Error()
			if !errors.As(callErr, &e) && !errors.As(callErr, &u) && !errors.As(callErr, &se) &&
				!strings.HasPrefix(msg, "the answer to ") && !strings.HasPrefix(msg, "adding ") && !strings.HasPrefix(msg, "removing ") {
				t.Fatalf("op %d, status %d: untyped error %T: %v", op%7, code, callErr, callErr)
			}
			if e != nil && e.StatusCode != code {
				t.Fatalf("op %d: Error.StatusCode = %d, the server said %d", op%7, e.StatusCode, code)
			}
		} else if accepted > 0 && code != accepted {
			t.Fatalf("op %d: status %d accepted as success", op%7, code)
		}
		out := trace.String()
		for _, secret := range []string{fuzzToken, "FUZZ-proof-claims-77", key[:24]} {
			if !bytes.Contains(body, []byte(secret)) && strings.Contains(out, secret) {
				t.Fatalf("the trace shows %q:\n%s", secret, out)
			}
		}
	})
}
