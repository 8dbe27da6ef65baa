package mgmtclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// Benchmarks of the client's own work: building request bodies and
// reading answers, through the real azcore pipeline but with canned
// answers instead of a network. CI runs them once each (go test -run '^$'
// -bench . -benchtime=1x); they assert nothing about time.

var benchKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// benchCert makes a management certificate for name on a key made once.
func benchCert(b *testing.B, name string) *x509.Certificate {
	b.Helper()
	key, err := benchKey()
	if err != nil {
		b.Fatal(err)
	}
	names, err := certgen.ParseNames([]string{name})
	if err != nil {
		b.Fatal(err)
	}
	res, err := certgen.Sign(certgen.Request{Names: names, Purpose: certgen.PurposeManagement}, key)
	if err != nil {
		b.Fatal(err)
	}
	return res.Cert
}

// benchTransport answers every request with the same status and body.
type benchTransport struct {
	status int
	body   []byte
}

func (c benchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("x-ms-request-id", "0123456789abcdef0123456789abcdef")
	return &http.Response{StatusCode: c.status, Status: http.StatusText(c.status), Header: h,
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

func benchClient(b *testing.B, status int, body []byte) *mgmtclient.Client {
	b.Helper()
	c, err := mgmtclient.New(mgmtclient.Options{
		Endpoint: "https://management.core.windows.net", Subscription: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36",
		HTTPClient: &http.Client{Transport: benchTransport{status, body}}, MaxRetries: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkAddManagementCertificate is one Add Management Certificate:
// the body (public key, thumbprint, data), the pipeline, a 201 answer.
func BenchmarkAddManagementCertificate(b *testing.B) {
	cert := benchCert(b, "bench-mgmt")
	c := benchClient(b, http.StatusCreated, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.AddManagementCertificate(ctx, cert); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestBody is the body alone: NewSubscriptionCertificate and
// its XML.
func BenchmarkRequestBody(b *testing.B) {
	cert := benchCert(b, "bench-mgmt")
	b.ReportAllocs()
	for b.Loop() {
		body, err := mgmtclient.NewSubscriptionCertificate(cert)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := xml.Marshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListManagementCertificates parses a list of 100 certificates
// (the subscription limit), each certificate's DER included.
func BenchmarkListManagementCertificates(b *testing.B) {
	var list mgmtclient.SubscriptionCertificates
	created := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for i := range 100 {
		cert := benchCert(b, fmt.Sprintf("bench-%03d", i))
		sc, err := mgmtclient.NewSubscriptionCertificate(cert)
		if err != nil {
			b.Fatal(err)
		}
		sc.Created = &created
		list.Certificates = append(list.Certificates, *sc)
	}
	body, err := xml.Marshal(list)
	if err != nil {
		b.Fatal(err)
	}
	c := benchClient(b, http.StatusOK, body)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.ListManagementCertificates(ctx)
		if err != nil || len(got) != 100 || got[99].Cert == nil {
			b.Fatalf("list: %d certificates, %v", len(got), err)
		}
	}
}

// BenchmarkErrorAnswer reads an error answer into an *mgmtclient.Error.
func BenchmarkErrorAnswer(b *testing.B) {
	body := []byte(`<Error xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Code>ConflictError</Code><Message>A certificate with thumbprint 3B4E5F607182 already exists.</Message></Error>`)
	c := benchClient(b, http.StatusConflict, body)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, err := c.GetManagementCertificate(ctx, "3B4E5F607182")
		var e *mgmtclient.Error
		if !errors.As(err, &e) || e.Code != "ConflictError" {
			b.Fatalf("got %v", err)
		}
	}
}

// BenchmarkParseCertificateData reads list entries' data: DER, and the
// PKCS#12 blob portal-made certificates carry.
func BenchmarkParseCertificateData(b *testing.B) {
	cert := benchCert(b, "bench-data")
	der := base64.StdEncoding.EncodeToString(cert.Raw)
	b.Run("der", func(b *testing.B) {
		for b.Loop() {
			if mgmtclient.ParseCertificateData(der) == nil {
				b.Fatal("no certificate")
			}
		}
	})
	b.Run("not-a-certificate", func(b *testing.B) {
		junk := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 800)))
		for b.Loop() {
			if mgmtclient.ParseCertificateData(junk) != nil {
				b.Fatal("a certificate from junk")
			}
		}
	})
}
