package mgmtclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// The secrets FuzzClientResponses sends; they must never reach the trace.
const (
	fuzzPFXPassword = "FUZZ-pfx-Pa55word-7c1e"
	fuzzSubID       = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"
)

var fuzzPFXData = []byte("FUZZ-PFX-DATA-0123456789-not-a-real-pfx-but-secret")

// cannedTransport answers every request with the same status, headers and
// body, as a server under the fuzzer's control would.
type cannedTransport struct {
	status   int
	body     []byte
	location string
	n        atomic.Int32
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n := c.n.Add(1)
	h := http.Header{}
	h.Set("x-ms-request-id", fmt.Sprintf("%032x", n))
	h.Set("Content-Type", "application/xml; charset=utf-8")
	if c.location != "" {
		h.Set("Location", c.location)
	}
	return &http.Response{
		StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r,
	}, nil
}

var fuzzCertOnce = sync.OnceValues(func() (*certgen.Result, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	n, err := certgen.ParseNames([]string{"fuzz.contoso.net"})
	if err != nil {
		return nil, err
	}
	return certgen.Sign(certgen.Request{Names: n, Purpose: certgen.PurposeManagement}, key)
})

// responseSeeds are answers the real service and the emulator give, plus
// broken ones.
func responseSeeds(f *testing.F) [][]byte {
	res, err := fuzzCertOnce()
	if err != nil {
		f.Fatal(err)
	}
	der := base64.StdEncoding.EncodeToString(res.DER)
	blob, err := pkcs12.LegacyRC2.WithIterations(2).Encode(res.Key, res.Cert, nil, "")
	if err != nil {
		f.Fatal(err)
	}
	p12 := base64.StdEncoding.EncodeToString(blob)
	tp := mgmtclient.Thumbprint(res.Cert)
	mustXML := func(v any) []byte {
		b, err := xml.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	created := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	return [][]byte{
		mustXML(mgmtclient.SubscriptionCertificates{Certificates: []mgmtclient.SubscriptionCertificate{
			{PublicKey: "AAAA", Thumbprint: tp, Data: der, Created: &created},
			{Thumbprint: "", Data: p12},
		}}),
		mustXML(mgmtclient.SubscriptionCertificate{Thumbprint: strings.ToLower(tp), Data: der}),
		mustXML(mgmtclient.Certificates{Certificates: []mgmtclient.Certificate{{CertificateURL: "https://x/sha1-" + tp, Thumbprint: tp, ThumbprintAlgorithm: "sha1", Data: der}}}),
		mustXML(mgmtclient.Certificate{Thumbprint: tp, ThumbprintAlgorithm: "sha1", Data: p12}),
		mustXML(mgmtclient.Operation{ID: "a", Status: mgmtclient.StatusSucceeded, HTTPStatusCode: 200}),
		mustXML(mgmtclient.Operation{ID: "a", Status: mgmtclient.StatusInProgress}),
		mustXML(mgmtclient.Operation{ID: "a", Status: mgmtclient.StatusFailed, HTTPStatusCode: 400, Error: &mgmtclient.ErrorBody{Code: "BadRequest", Message: "The specified password is invalid."}}),
		mustXML(mgmtclient.ErrorBody{Code: "TooManyRequests", Message: "Too many requests received. Retry after some time."}),
		mustXML(mgmtclient.ErrorBody{Code: "ResourceNotFound", Message: "The hosted service does not exist."}),
		[]byte(`<?xml version="1.0" encoding="utf-16"?><Error/>`),
		[]byte(`<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><SubscriptionCertificates xmlns="http://schemas.microsoft.com/windowsazure">&b;</SubscriptionCertificates>`),
		[]byte(strings.Repeat("<a>", 5000)),
		[]byte("<html><body>Service Unavailable</body></html>"),
		{},
	}
}

// FuzzClientResponses feeds arbitrary answers (status and body) to every
// client call and checks that the client never panics, sends a bounded
// number of requests, returns a typed error for every status it does not
// accept, and never writes the .pfx password or data it sent to its trace.
func FuzzClientResponses(f *testing.F) {
	for i, s := range responseSeeds(f) {
		for _, status := range []uint16{200, 201, 202, 307, 404, 503} {
			f.Add(uint8(i), status, s)
		}
	}
	res, err := fuzzCertOnce()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op uint8, status uint16, body []byte) {
		code := 200 + int(status)%400 // 200..599
		ct := &cannedTransport{status: code, body: body}
		if code/100 == 3 {
			// A redirect to the same place: net/http follows it at most 10 times.
			ct.location = "https://management.example/" + fuzzSubID + "/loop"
		}
		var trace bytes.Buffer
		c, err := mgmtclient.New(mgmtclient.Options{
			Endpoint: "https://management.example", Subscription: fuzzSubID,
			HTTPClient: &http.Client{Transport: ct}, MaxRetries: -1, PollInterval: time.Millisecond, Trace: &trace,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		tp := mgmtclient.Thumbprint(res.Cert)
		var callErr error
		accepted := []int{200}
		switch op % 10 {
		case 0:
			var list []mgmtclient.ManagementCertificate
			list, callErr = c.ListManagementCertificates(ctx)
			for _, m := range list {
				if m.Thumbprint != strings.ToUpper(m.Thumbprint) {
					t.Fatalf("ListManagementCertificates thumbprint %q is not upper case", m.Thumbprint)
				}
			}
		case 1:
			_, callErr = c.GetManagementCertificate(ctx, tp)
		case 2:
			_, callErr = c.RegisterManagementCertificate(ctx, res.Cert)
			accepted = []int{200, 201, 409, 400}
		case 3:
			callErr = c.DeleteManagementCertificate(ctx, tp)
			accepted = []int{200, 202, 204}
		case 4:
			_, callErr = c.ListServiceCertificates(ctx, "web")
		case 5:
			_, callErr = c.GetServiceCertificate(ctx, "web", tp)
		case 6:
			_, callErr = c.AddServiceCertificate(ctx, "web", fuzzPFXData, "pfx", fuzzPFXPassword)
			accepted = []int{200, 201, 202}
		case 7:
			_, callErr = c.DeleteServiceCertificate(ctx, "web", tp)
			accepted = []int{200, 202}
		case 8:
			_, callErr = c.GetOperationStatus(ctx, "0123456789abcdef0123456789abcdef")
		case 9:
			_, callErr = c.WaitOperation(ctx, "0123456789abcdef0123456789abcdef")
		}
		// Bounded: one try per call (no retries configured), at most 11
		// for a redirect loop, two calls for Register, and for WaitOperation
		// one poll per millisecond of the 30 ms budget.
		if n := ct.n.Load(); n > 100 {
			t.Fatalf("op %d: %d requests for one call", op%10, n)
		}
		if callErr != nil {
			var (
				e   *mgmtclient.Error
				u   *mgmtclient.UnavailableError
				oe  *mgmtclient.OperationError
				msg = callErr.Error()
			)
			if !errors.As(callErr, &e) && !errors.As(callErr, &u) && !errors.As(callErr, &oe) &&
				!strings.Contains(msg, "not the expected XML") && !strings.Contains(msg, "redirects") {
				t.Fatalf("op %d, status %d: untyped error %T: %v", op%10, code, callErr, callErr)
			}
			if e != nil && e.StatusCode != code {
				t.Fatalf("op %d: Error.StatusCode = %d, the server said %d", op%10, e.StatusCode, code)
			}
		} else if !contains(accepted, code) {
			t.Fatalf("op %d: status %d accepted as success", op%10, code)
		}
		if !bytes.Contains(body, []byte(fuzzPFXPassword)) && strings.Contains(trace.String(), fuzzPFXPassword) {
			t.Fatalf("the trace shows the .pfx password:\n%s", trace.String())
		}
		if b64 := base64.StdEncoding.EncodeToString(fuzzPFXData); !bytes.Contains(body, []byte(b64[:24])) && strings.Contains(trace.String(), b64[:24]) {
			t.Fatalf("the trace shows the .pfx data:\n%s", trace.String())
		}
	})
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
