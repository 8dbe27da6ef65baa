package asm_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

func TestListManagementCertificates(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET certificates", r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type = %q, want application/xml", ct)
	}
	if !bytes.Contains(r.Body, []byte(`xmlns="`+mgmtclient.Namespace+`"`)) {
		t.Errorf("body %s lacks the namespace %s", r.Body, mgmtclient.Namespace)
	}
	list := emutest.Decode[mgmtclient.SubscriptionCertificates](t, r)
	if len(list.Certificates) != 1 {
		t.Fatalf("GET certificates = %d certificates, want 1", len(list.Certificates))
	}
	got := list.Certificates[0]
	want := emutest.AddBody(f.Admin)
	if got.Thumbprint != want.Thumbprint || got.Data != want.Data || got.PublicKey != want.PublicKey {
		t.Errorf("GET certificates = %+v, want thumbprint, data and public key of %+v", got, want)
	}
	if got.Created == nil || !got.Created.Equal(emutest.FixedNow) {
		t.Errorf("Created = %v, want %v", got.Created, emutest.FixedNow)
	}
	if srv.Subscription != emulator.DefaultSubscription {
		t.Errorf("Subscription = %q, want %q", srv.Subscription, emulator.DefaultSubscription)
	}
}

func TestForbidden(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	tests := []struct {
		name      string
		cert      int // index into f.certs, -1 for admin
		sub       string
		status    int
		requestID bool
	}{
		{name: "unregistered certificate", cert: 0, sub: srv.Subscription, status: http.StatusForbidden, requestID: true},
		{name: "unknown subscription", cert: -1, sub: "00000000-0000-0000-0000-000000000000", status: http.StatusForbidden},
		{name: "unregistered certificate and unknown subscription", cert: 0, sub: "00000000-0000-0000-0000-000000000000", status: http.StatusForbidden},
		{name: "subscription in upper case", cert: -1, sub: strings.ToUpper(srv.Subscription), status: http.StatusOK, requestID: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := f.Admin
			if tt.cert >= 0 {
				cert = f.Certs[tt.cert]
			}
			r := emutest.Call(t, emutest.Client(t, srv, cert), http.MethodGet, srv.URL+"/"+tt.sub+"/certificates", nil, emutest.Version)
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.Status, tt.status, r.Body)
			}
			if id := r.Header.Get("x-ms-request-id"); (id != "") != tt.requestID {
				t.Errorf("x-ms-request-id = %q, want one: %v", id, tt.requestID)
			}
			if tt.status != http.StatusForbidden {
				return
			}
			e := emutest.Decode[mgmtclient.ErrorBody](t, r)
			if e.Code != "ForbiddenError" || e.Message != emutest.Forbidden {
				t.Errorf("error = %s: %q, want ForbiddenError: %q", e.Code, e.Message, emutest.Forbidden)
			}
		})
	}
}

func TestTLSRequirements(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	tests := []struct {
		name string
		cfg  *tls.Config
	}{
		{name: "TLS 1.1", cfg: func() *tls.Config {
			c := srv.ClientTLSConfig(emutest.TLSCert(f.Admin))
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return c
		}()},
		{name: "server certificate not trusted", cfg: &tls.Config{Certificates: []tls.Certificate{emutest.TLSCert(f.Admin)}, RootCAs: x509.NewCertPool()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: tt.cfg}
			defer tr.CloseIdleConnections()
			r, err := emutest.Send(context.Background(), &http.Client{Transport: tr}, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
			if err == nil {
				t.Fatalf("GET with %s = %d, want a TLS error", tt.name, r.Status)
			}
		})
	}
	// The requests above never reached the handler.
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("Requests() = %d requests, want 0", n)
	}
}

// TestNoClientCertificate: the server only asks for a client certificate
// (ARM requests come without one), so a classic request without one gets
// through TLS and is refused like an unregistered certificate.
func TestNoClientCertificate(t *testing.T) {
	srv, _ := emutest.NewServer(t, nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, u := range []string{emutest.CertsURL(srv), emutest.ServiceURL(srv, "web"), emutest.OperationURL(srv, strings.Repeat("0", 32))} {
		r := emutest.Call(t, c, http.MethodGet, u, nil, emutest.Version)
		emutest.WantError(t, "GET "+u+" without a client certificate", r, http.StatusForbidden, "ForbiddenError", emutest.Forbidden)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].ClientThumbprint != "" {
		t.Errorf("Requests() = %+v, want 3 requests without a client thumbprint", reqs)
	}
}

func TestAddManagementCertificate(t *testing.T) {
	f := emutest.Certs(t)
	srv, clk := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	clk.Advance(time.Hour)
	body := emutest.Marshal(t, emutest.AddBody(f.Certs[0]))
	r := emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), body, emutest.Version)
	emutest.WantStatus(t, "POST certificates", r, http.StatusCreated)
	loc := emutest.CertsURL(srv) + "/" + emutest.Thumb(f.Certs[0].DER)
	if got := r.Header.Get("Location"); got != loc {
		t.Errorf("Location = %q, want %q", got, loc)
	}
	// The Location is where the certificate can be read.
	r = emutest.Call(t, c, http.MethodGet, loc, nil, emutest.Version)
	emutest.WantStatus(t, "GET Location", r, http.StatusOK)
	got := emutest.Decode[mgmtclient.SubscriptionCertificate](t, r)
	want := emutest.AddBody(f.Certs[0])
	if got.Thumbprint != want.Thumbprint || got.Data != want.Data || got.PublicKey != want.PublicKey {
		t.Errorf("GET %s = %+v, want %+v", loc, got, want)
	}
	if got.Created == nil || !got.Created.Equal(emutest.FixedNow.Add(time.Hour)) {
		t.Errorf("Created = %v, want %v", got.Created, emutest.FixedNow.Add(time.Hour))
	}
	if got, want := srv.ASM.ManagementCertificates(), emutest.Sorted(emutest.Thumb(f.Admin.DER), emutest.Thumb(f.Certs[0].DER)); !slices.Equal(got, want) {
		t.Errorf("ManagementCertificates() = %v, want %v", got, want)
	}
	// The new certificate authenticates.
	r = emutest.Call(t, emutest.Client(t, srv, f.Certs[0]), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET with the new certificate", r, http.StatusOK)
}

func TestAddManagementCertificateErrors(t *testing.T) {
	f := emutest.Certs(t)
	other := f.Certs[1]
	valid := func() mgmtclient.SubscriptionCertificate { return emutest.AddBody(f.Certs[0]) }
	with := func(edit func(*mgmtclient.SubscriptionCertificate)) []byte {
		b := valid()
		edit(&b)
		return emutest.Marshal(t, b)
	}
	ok := emutest.Marshal(t, valid())
	tests := []struct {
		name    string
		body    []byte
		status  int
		code    string
		message string
	}{
		{name: "duplicate", body: emutest.Marshal(t, emutest.AddBody(f.Admin)), status: http.StatusConflict, code: "ConflictError",
			message: "A certificate with thumbprint " + emutest.Thumb(f.Admin.DER) + " already exists."},
		{name: "lower-case thumbprint is accepted", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = strings.ToLower(b.Thumbprint) }),
			status: http.StatusCreated},
		{name: "thumbprint of another certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = emutest.Thumb(other.DER) }),
			status: http.StatusBadRequest, code: "BadRequest", message: "does not match the certificate data, whose SHA-1 thumbprint is " + emutest.Thumb(f.Certs[0].DER)},
		{name: "no thumbprint", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = "" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "SubscriptionCertificateThumbprint"},
		{name: "SubjectPublicKeyInfo instead of PKCS#1", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.PublicKey = emutest.B64(f.Certs[0].Cert.RawSubjectPublicKeyInfo)
		}),
			status: http.StatusBadRequest, code: "BadRequest", message: "it is a SubjectPublicKeyInfo, but it must be the base64 of the PKCS#1 RSAPublicKey"},
		{name: "public key of another key", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.PublicKey = emutest.B64(x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).Add(f.Key.N, big.NewInt(2)), E: f.Key.E}))
		}), status: http.StatusBadRequest, code: "BadRequest", message: "public key (SubscriptionCertificatePublicKey) does not match"},
		{name: "public key not base64", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.PublicKey = "%%%" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "public key (SubscriptionCertificatePublicKey) is not valid base64"},
		{name: "data not base64", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = "not base64!" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "is not valid base64"},
		{name: "data not a certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = emutest.B64([]byte("hello, world")) }),
			status: http.StatusBadRequest, code: "BadRequest", message: "not an X.509 certificate"},
		{name: "data is a PEM certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.Data = emutest.B64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certs[0].DER}))
		}), status: http.StatusBadRequest, code: "BadRequest", message: "not an X.509 certificate in DER form"},
		{name: "ECDSA certificate", body: emutest.Marshal(t, mgmtclient.SubscriptionCertificate{PublicKey: "AA==", Thumbprint: emutest.Thumb(f.ECCert.Raw), Data: emutest.B64(f.ECCert.Raw)}),
			status: http.StatusBadRequest, code: "BadRequest", message: "must have RSA keys"},
		{name: "base64 wrapped in lines", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = b.Data[:64] + "\n" + b.Data[64:] }),
			status: http.StatusCreated},
		{name: "malformed XML", body: ok[:len(ok)-10], status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "empty body", body: []byte{}, status: http.StatusBadRequest, code: "InvalidXmlRequest", message: "empty"},
		{name: "no namespace", body: bytes.ReplaceAll(ok, []byte(` xmlns="`+mgmtclient.Namespace+`"`), nil),
			status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "wrong root element", body: emutest.Marshal(t, mgmtclient.CertificateFile{Data: "AA==", Format: "cer"}),
			status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "elements out of order", body: []byte(`<SubscriptionCertificate xmlns="` + mgmtclient.Namespace + `">` +
			`<SubscriptionCertificateThumbprint>` + valid().Thumbprint + `</SubscriptionCertificateThumbprint>` +
			`<SubscriptionCertificatePublicKey>` + valid().PublicKey + `</SubscriptionCertificatePublicKey>` +
			`<SubscriptionCertificateData>` + valid().Data + `</SubscriptionCertificateData></SubscriptionCertificate>`),
			status: http.StatusBadRequest, code: "InvalidXmlRequest", message: "out of order"},
		{name: "text after the root element", body: append(slices.Clone(ok), "junk"...), status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "XML declaration and trailing newline", body: append(append([]byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"), ok...), '\n'),
			status: http.StatusCreated},
		{name: "body over 4 MiB", body: append(slices.Clone(ok), bytes.Repeat([]byte(" "), emulator.MaxBodySize)...),
			status: http.StatusBadRequest, code: "BadRequest", message: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := emutest.NewServer(t, nil)
			r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodPost, emutest.CertsURL(srv), tt.body, emutest.Version)
			if tt.status == http.StatusCreated {
				emutest.WantStatus(t, "POST", r, tt.status)
				return
			}
			emutest.WantError(t, "POST", r, tt.status, tt.code, tt.message)
			if got := srv.ASM.ManagementCertificates(); len(got) != 1 {
				t.Errorf("after a refused add, ManagementCertificates() = %v, want only the admin certificate", got)
			}
		})
	}
}

func TestManagementCertificateLimit(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.MaxManagementCerts = 3 })
	c := emutest.Client(t, srv, f.Admin)
	for i := range 2 {
		r := emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[i])), emutest.Version)
		emutest.WantStatus(t, "POST below the limit", r, http.StatusCreated)
	}
	r := emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[2])), emutest.Version)
	e := emutest.WantError(t, "POST at the limit", r, http.StatusBadRequest, "BadRequest", "")
	if want := "The subscription has reached its limit of 3 management certificates."; e.Message != want {
		t.Errorf("Message = %q, want %q", e.Message, want)
	}
	// A duplicate is still a conflict at the limit.
	r = emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[0])), emutest.Version)
	emutest.WantError(t, "POST duplicate at the limit", r, http.StatusConflict, "ConflictError", "already exists")
	if err := srv.ASM.Register(f.Certs[3].Cert); err == nil || !strings.Contains(err.Error(), "limit of 3") {
		t.Errorf("Register at the limit = %v, want the limit error", err)
	}
	// Deleting one makes room.
	r = emutest.Call(t, c, http.MethodDelete, emutest.CertsURL(srv)+"/"+emutest.Thumb(f.Certs[0].DER), nil, emutest.Version)
	emutest.WantStatus(t, "DELETE", r, http.StatusOK)
	r = emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[2])), emutest.Version)
	emutest.WantStatus(t, "POST after a delete", r, http.StatusCreated)
}

func TestTrustBeyondLimit(t *testing.T) {
	f := emutest.Certs(t)
	_, err := azure.New(azure.Config{MaxManagementCerts: 1, Trust: []*x509.Certificate{f.Admin.Cert, f.Certs[0].Cert}})
	if err == nil || !strings.Contains(err.Error(), "limit of 1") {
		t.Errorf("azure.New with 2 trusted certificates and a limit of 1: error = %v, want the limit", err)
	}
}

func TestListSortedWithCreated(t *testing.T) {
	f := emutest.Certs(t)
	srv, clk := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	created := map[string]time.Time{emutest.Thumb(f.Admin.DER): emutest.FixedNow}
	for _, cert := range f.Certs[:4] {
		clk.Advance(time.Minute)
		created[emutest.Thumb(cert.DER)] = clk.Now()
		r := emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(cert)), emutest.Version)
		emutest.WantStatus(t, "POST", r, http.StatusCreated)
	}
	list := emutest.Decode[mgmtclient.SubscriptionCertificates](t, emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version))
	var got []string
	for _, sc := range list.Certificates {
		got = append(got, sc.Thumbprint)
		if sc.Created == nil || !sc.Created.Equal(created[sc.Thumbprint]) {
			t.Errorf("Created of %s = %v, want %v", sc.Thumbprint, sc.Created, created[sc.Thumbprint])
		}
	}
	if !slices.IsSorted(got) || len(got) != 5 {
		t.Errorf("list = %v, want 5 thumbprints in order", got)
	}
}

func TestGetDeleteManagementCertificate(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.Trust = append(c.Trust, f.Certs[0].Cert) })
	c := emutest.Client(t, srv, f.Admin)
	tp := emutest.Thumb(f.Certs[0].DER)
	unknown := emutest.Thumb(f.Certs[5].DER)
	steps := []struct {
		method, thumb string
		status        int
		code, message string
	}{
		{http.MethodGet, tp, http.StatusOK, "", ""},
		{http.MethodGet, strings.ToLower(tp), http.StatusOK, "", ""},
		{http.MethodGet, unknown, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{http.MethodDelete, unknown, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{http.MethodGet, "XYZ", http.StatusBadRequest, "BadRequest", "not a thumbprint"},
		{http.MethodDelete, tp, http.StatusOK, "", ""},
		{http.MethodGet, tp, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{http.MethodDelete, tp, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{http.MethodPut, tp, http.StatusMethodNotAllowed, "MethodNotAllowed", "PUT"},
	}
	for _, s := range steps {
		what := s.method + " " + s.thumb
		r := emutest.Call(t, c, s.method, emutest.CertsURL(srv)+"/"+s.thumb, nil, emutest.Version)
		if s.code == "" {
			emutest.WantStatus(t, what, r, s.status)
		} else {
			emutest.WantError(t, what, r, s.status, s.code, s.message)
		}
	}
	if got := srv.ASM.ManagementCertificates(); !slices.Equal(got, []string{emutest.Thumb(f.Admin.DER)}) {
		t.Errorf("ManagementCertificates() = %v, want only admin", got)
	}
}

func TestDeleteOwnCertificate(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	r := emutest.Call(t, c, http.MethodDelete, emutest.CertsURL(srv)+"/"+emutest.Thumb(f.Admin.DER), nil, emutest.Version)
	emutest.WantStatus(t, "DELETE own certificate", r, http.StatusOK)
	r = emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantError(t, "GET after deleting own certificate", r, http.StatusForbidden, "ForbiddenError", emutest.Forbidden)
}

func TestVersionHeader(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	tests := []struct {
		name, url, version string
		status             int
	}{
		{"missing", emutest.CertsURL(srv), emutest.NoVersion, http.StatusBadRequest},
		{"not a date", emutest.CertsURL(srv), "latest", http.StatusBadRequest},
		{"too old for management certificates", emutest.CertsURL(srv), "2011-10-01", http.StatusBadRequest},
		{"too old for one management certificate", emutest.CertsURL(srv) + "/" + emutest.Thumb(f.Admin.DER), "2012-02-29", http.StatusBadRequest},
		{"oldest for management certificates", emutest.CertsURL(srv), "2012-03-01", http.StatusOK},
		{"missing for service certificates", emutest.ServiceURL(srv, "web"), emutest.NoVersion, http.StatusBadRequest},
		{"old is fine for service certificates", emutest.ServiceURL(srv, "web"), "2009-10-01", http.StatusOK},
		{"azcert's", emutest.CertsURL(srv), mgmtclient.APIVersion, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := emutest.Call(t, c, http.MethodGet, tt.url, nil, tt.version)
			if tt.status == http.StatusOK {
				emutest.WantStatus(t, "GET", r, http.StatusOK)
				return
			}
			emutest.WantError(t, "GET", r, tt.status, "MissingOrIncorrectVersionHeader", "The versioning header is not specified or was specified incorrectly.")
		})
	}
}

func TestRoutes(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	sub := srv.URL + "/" + srv.Subscription
	tests := []struct {
		method, url string
		status      int
		code, allow string
	}{
		{http.MethodGet, srv.URL + "/", http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodGet, sub, http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodGet, sub + "/services/hostedservices", http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodGet, sub + "/certificates/a/b", http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodPut, sub + "/certificates", http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, POST"},
		{"GE", sub + "/certificates", http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, POST"},
		{http.MethodDelete, emutest.ServiceURL(srv, "web"), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, POST"},
		{http.MethodPost, emutest.ServiceURL(srv, "web") + "/sha1-" + emutest.Thumb(f.Site.DER), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, DELETE"},
		{http.MethodDelete, sub + "/operations/" + strings.Repeat("0", 32), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET"},
		{http.MethodGet, sub + "/operations/" + strings.Repeat("0", 32), http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodGet, sub + "/operations/nonsense", http.StatusNotFound, "ResourceNotFound", ""},
	}
	for _, tt := range tests {
		what := tt.method + " " + tt.url
		r := emutest.Call(t, c, tt.method, tt.url, nil, emutest.Version)
		emutest.WantError(t, what, r, tt.status, tt.code, "")
		if got := r.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s: Allow = %q, want %q", what, got, tt.allow)
		}
	}
}

func TestRequestsRecorded(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	body := emutest.Marshal(t, emutest.AddBody(f.Certs[0]))
	emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodPost, emutest.CertsURL(srv)+"?q=1", body, emutest.Version)
	emutest.Call(t, emutest.Client(t, srv, f.Certs[1]), http.MethodGet, emutest.CertsURL(srv), nil, emutest.NoVersion)
	got := srv.Requests()
	if len(got) != 2 {
		t.Fatalf("Requests() = %d requests, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.Method != http.MethodPost || first.Path != "/"+srv.Subscription+"/certificates" || !bytes.Equal(first.Body, body) ||
		first.ClientThumbprint != emutest.Thumb(f.Admin.DER) || first.Header.Get("x-ms-version") != emutest.Version {
		t.Errorf("Requests()[0] = %+v, want the POST by admin with its body and version", first)
	}
	if second.Method != http.MethodGet || second.ClientThumbprint != emutest.Thumb(f.Certs[1].DER) || len(second.Body) != 0 {
		t.Errorf("Requests()[1] = %+v, want the GET by certs[1]", second)
	}
	// Requests returns copies.
	got[0].Body[0] = 'X'
	if srv.Requests()[0].Body[0] == 'X' {
		t.Error("changing a returned request changed the recorded one")
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("after ResetRequests, Requests() = %d requests, want 0", n)
	}
}

func TestRegister(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.Trust = nil })
	c := emutest.Client(t, srv, f.Admin)
	r := emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantError(t, "GET before Register", r, http.StatusForbidden, "ForbiddenError", emutest.Forbidden)
	for range 2 { // a second Register is a no-op
		if err := srv.ASM.Register(f.Admin.Cert); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
	r = emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET after Register", r, http.StatusOK)
	if got := srv.ASM.ManagementCertificates(); !slices.Equal(got, []string{emutest.Thumb(f.Admin.DER)}) {
		t.Errorf("ManagementCertificates() = %v, want [%s]", got, emutest.Thumb(f.Admin.DER))
	}
	if err := srv.ASM.Register(f.ECCert); err == nil || !strings.Contains(err.Error(), "RSA") {
		t.Errorf("Register(ECDSA certificate) = %v, want an error about RSA", err)
	}
}

func TestWriteCA(t *testing.T) {
	srv, _ := emutest.NewServer(t, nil)
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteCA(path); err != nil {
		t.Fatalf("WriteCA: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, srv.CACertPEM()) {
		t.Errorf("WriteCA wrote %q, want CACertPEM()", data)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %04o, want 0644", st.Mode().Perm())
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("WriteCA wrote no CERTIFICATE block: %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA {
		t.Error("the server certificate is not a CA")
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := cert.VerifyHostname(name); err != nil {
			t.Errorf("the server certificate does not name %s: %v", name, err)
		}
	}
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Errorf("URL = %q, want https://127.0.0.1:PORT", srv.URL)
	}
}

func TestPortInUse(t *testing.T) {
	srv, _ := emutest.NewServer(t, nil)
	addr := strings.TrimPrefix(srv.URL, "https://")
	s2, err := azure.New(azure.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Start()
	if err == nil {
		s2.Close()
		t.Fatalf("Start on %s (in use) succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("Start on %s (in use) = %v, want the address in the error", addr, err)
	}
}

func TestClientHelper(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	req, _ := http.NewRequest(http.MethodGet, emutest.CertsURL(srv), nil)
	req.Header.Set("x-ms-version", emutest.Version)
	resp, err := srv.Client(emutest.TLSCert(f.Admin)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("Client().Do = %d, want 200", resp.StatusCode)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.Proto != "HTTP/1.1" {
		t.Errorf("connection = %v over %s, want TLS 1.2+ and HTTP/1.1", resp.TLS, resp.Proto)
	}
}

// TestCreatedHasDotNetPrecision: the real service writes .NET timestamps,
// at most 7 fractional digits (100 ns ticks); Go would write 9.
func TestCreatedHasDotNetPrecision(t *testing.T) {
	f := emutest.Certs(t)
	at := time.Date(2026, time.December, 6, 13, 34, 1, 123456789, time.UTC)
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.Now = func() time.Time { return at } })
	r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET certificates", r, http.StatusOK)
	if !bytes.Contains(r.Body, []byte("<Created>2026-12-06T13:34:01.1234567Z</Created>")) {
		t.Errorf("GET certificates: Created is not .NET's 7 digits:\n%s", r.Body)
	}
	if bytes.Contains(r.Body, []byte("1234567890")) || bytes.Contains(r.Body, []byte(".123456789")) {
		t.Errorf("GET certificates carries 9 fractional digits:\n%s", r.Body)
	}
}
