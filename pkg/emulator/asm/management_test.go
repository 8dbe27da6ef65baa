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
	"github.com/azcert/azcert/pkg/mgmtclient"
)

func TestListManagementCertificates(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	r := call(t, client(t, srv, f.admin), http.MethodGet, certsURL(srv), nil, version)
	wantStatus(t, "GET certificates", r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type = %q, want application/xml", ct)
	}
	if !bytes.Contains(r.body, []byte(`xmlns="`+mgmtclient.Namespace+`"`)) {
		t.Errorf("body %s lacks the namespace %s", r.body, mgmtclient.Namespace)
	}
	list := decode[mgmtclient.SubscriptionCertificates](t, r)
	if len(list.Certificates) != 1 {
		t.Fatalf("GET certificates = %d certificates, want 1", len(list.Certificates))
	}
	got := list.Certificates[0]
	want := addBody(f.admin)
	if got.Thumbprint != want.Thumbprint || got.Data != want.Data || got.PublicKey != want.PublicKey {
		t.Errorf("GET certificates = %+v, want thumbprint, data and public key of %+v", got, want)
	}
	if got.Created == nil || !got.Created.Equal(fixedNow) {
		t.Errorf("Created = %v, want %v", got.Created, fixedNow)
	}
	if srv.Subscription != emulator.DefaultSubscription {
		t.Errorf("Subscription = %q, want %q", srv.Subscription, emulator.DefaultSubscription)
	}
}

func TestForbidden(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
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
			cert := f.admin
			if tt.cert >= 0 {
				cert = f.certs[tt.cert]
			}
			r := call(t, client(t, srv, cert), http.MethodGet, srv.URL+"/"+tt.sub+"/certificates", nil, version)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			if id := r.header.Get("x-ms-request-id"); (id != "") != tt.requestID {
				t.Errorf("x-ms-request-id = %q, want one: %v", id, tt.requestID)
			}
			if tt.status != http.StatusForbidden {
				return
			}
			e := decode[mgmtclient.ErrorBody](t, r)
			if e.Code != "ForbiddenError" || e.Message != forbidden {
				t.Errorf("error = %s: %q, want ForbiddenError: %q", e.Code, e.Message, forbidden)
			}
		})
	}
}

func TestTLSRequirements(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	tests := []struct {
		name string
		cfg  *tls.Config
	}{
		{name: "TLS 1.1", cfg: func() *tls.Config {
			c := srv.ClientTLSConfig(tlsCert(f.admin))
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return c
		}()},
		{name: "server certificate not trusted", cfg: &tls.Config{Certificates: []tls.Certificate{tlsCert(f.admin)}, RootCAs: x509.NewCertPool()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: tt.cfg}
			defer tr.CloseIdleConnections()
			r, err := send(context.Background(), &http.Client{Transport: tr}, http.MethodGet, certsURL(srv), nil, version)
			if err == nil {
				t.Fatalf("GET with %s = %d, want a TLS error", tt.name, r.status)
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
	srv, _ := newServer(t, nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, u := range []string{certsURL(srv), serviceURL(srv, "web"), operationURL(srv, strings.Repeat("0", 32))} {
		r := call(t, c, http.MethodGet, u, nil, version)
		wantError(t, "GET "+u+" without a client certificate", r, http.StatusForbidden, "ForbiddenError", forbidden)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].ClientThumbprint != "" {
		t.Errorf("Requests() = %+v, want 3 requests without a client thumbprint", reqs)
	}
}

func TestAddManagementCertificate(t *testing.T) {
	f := testFixture(t)
	srv, clk := newServer(t, nil)
	c := client(t, srv, f.admin)
	clk.Advance(time.Hour)
	body := marshal(t, addBody(f.certs[0]))
	r := call(t, c, http.MethodPost, certsURL(srv), body, version)
	wantStatus(t, "POST certificates", r, http.StatusCreated)
	loc := certsURL(srv) + "/" + thumb(f.certs[0].DER)
	if got := r.header.Get("Location"); got != loc {
		t.Errorf("Location = %q, want %q", got, loc)
	}
	// The Location is where the certificate can be read.
	r = call(t, c, http.MethodGet, loc, nil, version)
	wantStatus(t, "GET Location", r, http.StatusOK)
	got := decode[mgmtclient.SubscriptionCertificate](t, r)
	want := addBody(f.certs[0])
	if got.Thumbprint != want.Thumbprint || got.Data != want.Data || got.PublicKey != want.PublicKey {
		t.Errorf("GET %s = %+v, want %+v", loc, got, want)
	}
	if got.Created == nil || !got.Created.Equal(fixedNow.Add(time.Hour)) {
		t.Errorf("Created = %v, want %v", got.Created, fixedNow.Add(time.Hour))
	}
	if got, want := srv.ASM.ManagementCertificates(), sorted(thumb(f.admin.DER), thumb(f.certs[0].DER)); !slices.Equal(got, want) {
		t.Errorf("ManagementCertificates() = %v, want %v", got, want)
	}
	// The new certificate authenticates.
	r = call(t, client(t, srv, f.certs[0]), http.MethodGet, certsURL(srv), nil, version)
	wantStatus(t, "GET with the new certificate", r, http.StatusOK)
}

func TestAddManagementCertificateErrors(t *testing.T) {
	f := testFixture(t)
	other := f.certs[1]
	valid := func() mgmtclient.SubscriptionCertificate { return addBody(f.certs[0]) }
	with := func(edit func(*mgmtclient.SubscriptionCertificate)) []byte {
		b := valid()
		edit(&b)
		return marshal(t, b)
	}
	ok := marshal(t, valid())
	tests := []struct {
		name    string
		body    []byte
		status  int
		code    string
		message string
	}{
		{name: "duplicate", body: marshal(t, addBody(f.admin)), status: http.StatusConflict, code: "ConflictError",
			message: "A certificate with thumbprint " + thumb(f.admin.DER) + " already exists."},
		{name: "lower-case thumbprint is accepted", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = strings.ToLower(b.Thumbprint) }),
			status: http.StatusCreated},
		{name: "thumbprint of another certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = thumb(other.DER) }),
			status: http.StatusBadRequest, code: "BadRequest", message: "does not match the certificate data, whose SHA-1 thumbprint is " + thumb(f.certs[0].DER)},
		{name: "no thumbprint", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Thumbprint = "" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "SubscriptionCertificateThumbprint"},
		{name: "SubjectPublicKeyInfo instead of PKCS#1", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.PublicKey = b64(f.certs[0].Cert.RawSubjectPublicKeyInfo)
		}),
			status: http.StatusBadRequest, code: "BadRequest", message: "it is a SubjectPublicKeyInfo, but it must be the base64 of the PKCS#1 RSAPublicKey"},
		{name: "public key of another key", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.PublicKey = b64(x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).Add(f.key.N, big.NewInt(2)), E: f.key.E}))
		}), status: http.StatusBadRequest, code: "BadRequest", message: "public key (SubscriptionCertificatePublicKey) does not match"},
		{name: "public key not base64", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.PublicKey = "%%%" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "public key (SubscriptionCertificatePublicKey) is not valid base64"},
		{name: "data not base64", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = "not base64!" }),
			status: http.StatusBadRequest, code: "BadRequest", message: "is not valid base64"},
		{name: "data not a certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = b64([]byte("hello, world")) }),
			status: http.StatusBadRequest, code: "BadRequest", message: "not an X.509 certificate"},
		{name: "data is a PEM certificate", body: with(func(b *mgmtclient.SubscriptionCertificate) {
			b.Data = b64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.certs[0].DER}))
		}), status: http.StatusBadRequest, code: "BadRequest", message: "not an X.509 certificate in DER form"},
		{name: "ECDSA certificate", body: marshal(t, mgmtclient.SubscriptionCertificate{PublicKey: "AA==", Thumbprint: thumb(f.ecCert.Raw), Data: b64(f.ecCert.Raw)}),
			status: http.StatusBadRequest, code: "BadRequest", message: "must have RSA keys"},
		{name: "base64 wrapped in lines", body: with(func(b *mgmtclient.SubscriptionCertificate) { b.Data = b.Data[:64] + "\n" + b.Data[64:] }),
			status: http.StatusCreated},
		{name: "malformed XML", body: ok[:len(ok)-10], status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "empty body", body: []byte{}, status: http.StatusBadRequest, code: "InvalidXmlRequest", message: "empty"},
		{name: "no namespace", body: bytes.ReplaceAll(ok, []byte(` xmlns="`+mgmtclient.Namespace+`"`), nil),
			status: http.StatusBadRequest, code: "InvalidXmlRequest"},
		{name: "wrong root element", body: marshal(t, mgmtclient.CertificateFile{Data: "AA==", Format: "cer"}),
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
			srv, _ := newServer(t, nil)
			r := call(t, client(t, srv, f.admin), http.MethodPost, certsURL(srv), tt.body, version)
			if tt.status == http.StatusCreated {
				wantStatus(t, "POST", r, tt.status)
				return
			}
			wantError(t, "POST", r, tt.status, tt.code, tt.message)
			if got := srv.ASM.ManagementCertificates(); len(got) != 1 {
				t.Errorf("after a refused add, ManagementCertificates() = %v, want only the admin certificate", got)
			}
		})
	}
}

func TestManagementCertificateLimit(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, func(c *azure.Config) { c.MaxManagementCerts = 3 })
	c := client(t, srv, f.admin)
	for i := range 2 {
		r := call(t, c, http.MethodPost, certsURL(srv), marshal(t, addBody(f.certs[i])), version)
		wantStatus(t, "POST below the limit", r, http.StatusCreated)
	}
	r := call(t, c, http.MethodPost, certsURL(srv), marshal(t, addBody(f.certs[2])), version)
	e := wantError(t, "POST at the limit", r, http.StatusBadRequest, "BadRequest", "")
	if want := "The subscription has reached its limit of 3 management certificates."; e.Message != want {
		t.Errorf("Message = %q, want %q", e.Message, want)
	}
	// A duplicate is still a conflict at the limit.
	r = call(t, c, http.MethodPost, certsURL(srv), marshal(t, addBody(f.certs[0])), version)
	wantError(t, "POST duplicate at the limit", r, http.StatusConflict, "ConflictError", "already exists")
	if err := srv.ASM.Register(f.certs[3].Cert); err == nil || !strings.Contains(err.Error(), "limit of 3") {
		t.Errorf("Register at the limit = %v, want the limit error", err)
	}
	// Deleting one makes room.
	r = call(t, c, http.MethodDelete, certsURL(srv)+"/"+thumb(f.certs[0].DER), nil, version)
	wantStatus(t, "DELETE", r, http.StatusOK)
	r = call(t, c, http.MethodPost, certsURL(srv), marshal(t, addBody(f.certs[2])), version)
	wantStatus(t, "POST after a delete", r, http.StatusCreated)
}

func TestTrustBeyondLimit(t *testing.T) {
	f := testFixture(t)
	_, err := azure.New(azure.Config{MaxManagementCerts: 1, Trust: []*x509.Certificate{f.admin.Cert, f.certs[0].Cert}})
	if err == nil || !strings.Contains(err.Error(), "limit of 1") {
		t.Errorf("NewUnstartedServer with 2 trusted certificates and a limit of 1: error = %v, want the limit", err)
	}
}

func TestListSortedWithCreated(t *testing.T) {
	f := testFixture(t)
	srv, clk := newServer(t, nil)
	c := client(t, srv, f.admin)
	created := map[string]time.Time{thumb(f.admin.DER): fixedNow}
	for _, cert := range f.certs[:4] {
		clk.Advance(time.Minute)
		created[thumb(cert.DER)] = clk.Now()
		r := call(t, c, http.MethodPost, certsURL(srv), marshal(t, addBody(cert)), version)
		wantStatus(t, "POST", r, http.StatusCreated)
	}
	list := decode[mgmtclient.SubscriptionCertificates](t, call(t, c, http.MethodGet, certsURL(srv), nil, version))
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
	f := testFixture(t)
	srv, _ := newServer(t, func(c *azure.Config) { c.Trust = append(c.Trust, f.certs[0].Cert) })
	c := client(t, srv, f.admin)
	tp := thumb(f.certs[0].DER)
	unknown := thumb(f.certs[5].DER)
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
		r := call(t, c, s.method, certsURL(srv)+"/"+s.thumb, nil, version)
		if s.code == "" {
			wantStatus(t, what, r, s.status)
		} else {
			wantError(t, what, r, s.status, s.code, s.message)
		}
	}
	if got := srv.ASM.ManagementCertificates(); !slices.Equal(got, []string{thumb(f.admin.DER)}) {
		t.Errorf("ManagementCertificates() = %v, want only admin", got)
	}
}

func TestDeleteOwnCertificate(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	r := call(t, c, http.MethodDelete, certsURL(srv)+"/"+thumb(f.admin.DER), nil, version)
	wantStatus(t, "DELETE own certificate", r, http.StatusOK)
	r = call(t, c, http.MethodGet, certsURL(srv), nil, version)
	wantError(t, "GET after deleting own certificate", r, http.StatusForbidden, "ForbiddenError", forbidden)
}

func TestVersionHeader(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	tests := []struct {
		name, url, version string
		status             int
	}{
		{"missing", certsURL(srv), noVersion, http.StatusBadRequest},
		{"not a date", certsURL(srv), "latest", http.StatusBadRequest},
		{"too old for management certificates", certsURL(srv), "2011-10-01", http.StatusBadRequest},
		{"too old for one management certificate", certsURL(srv) + "/" + thumb(f.admin.DER), "2012-02-29", http.StatusBadRequest},
		{"oldest for management certificates", certsURL(srv), "2012-03-01", http.StatusOK},
		{"missing for service certificates", serviceURL(srv, "web"), noVersion, http.StatusBadRequest},
		{"old is fine for service certificates", serviceURL(srv, "web"), "2009-10-01", http.StatusOK},
		{"azcert's", certsURL(srv), mgmtclient.APIVersion, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, c, http.MethodGet, tt.url, nil, tt.version)
			if tt.status == http.StatusOK {
				wantStatus(t, "GET", r, http.StatusOK)
				return
			}
			wantError(t, "GET", r, tt.status, "MissingOrIncorrectVersionHeader", "The versioning header is not specified or was specified incorrectly.")
		})
	}
}

func TestRoutes(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
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
		{http.MethodDelete, serviceURL(srv, "web"), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, POST"},
		{http.MethodPost, serviceURL(srv, "web") + "/sha1-" + thumb(f.site.DER), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, DELETE"},
		{http.MethodDelete, sub + "/operations/" + strings.Repeat("0", 32), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET"},
		{http.MethodGet, sub + "/operations/" + strings.Repeat("0", 32), http.StatusNotFound, "ResourceNotFound", ""},
		{http.MethodGet, sub + "/operations/nonsense", http.StatusNotFound, "ResourceNotFound", ""},
	}
	for _, tt := range tests {
		what := tt.method + " " + tt.url
		r := call(t, c, tt.method, tt.url, nil, version)
		wantError(t, what, r, tt.status, tt.code, "")
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s: Allow = %q, want %q", what, got, tt.allow)
		}
	}
}

func TestRequestsRecorded(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	body := marshal(t, addBody(f.certs[0]))
	call(t, client(t, srv, f.admin), http.MethodPost, certsURL(srv)+"?q=1", body, version)
	call(t, client(t, srv, f.certs[1]), http.MethodGet, certsURL(srv), nil, noVersion)
	got := srv.Requests()
	if len(got) != 2 {
		t.Fatalf("Requests() = %d requests, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.Method != http.MethodPost || first.Path != "/"+srv.Subscription+"/certificates" || !bytes.Equal(first.Body, body) ||
		first.ClientThumbprint != thumb(f.admin.DER) || first.Header.Get("x-ms-version") != version {
		t.Errorf("Requests()[0] = %+v, want the POST by admin with its body and version", first)
	}
	if second.Method != http.MethodGet || second.ClientThumbprint != thumb(f.certs[1].DER) || len(second.Body) != 0 {
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
	f := testFixture(t)
	srv, _ := newServer(t, func(c *azure.Config) { c.Trust = nil })
	c := client(t, srv, f.admin)
	r := call(t, c, http.MethodGet, certsURL(srv), nil, version)
	wantError(t, "GET before Register", r, http.StatusForbidden, "ForbiddenError", forbidden)
	for range 2 { // a second Register is a no-op
		if err := srv.ASM.Register(f.admin.Cert); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
	r = call(t, c, http.MethodGet, certsURL(srv), nil, version)
	wantStatus(t, "GET after Register", r, http.StatusOK)
	if got := srv.ASM.ManagementCertificates(); !slices.Equal(got, []string{thumb(f.admin.DER)}) {
		t.Errorf("ManagementCertificates() = %v, want [%s]", got, thumb(f.admin.DER))
	}
	if err := srv.ASM.Register(f.ecCert); err == nil || !strings.Contains(err.Error(), "RSA") {
		t.Errorf("Register(ECDSA certificate) = %v, want an error about RSA", err)
	}
}

func TestWriteCA(t *testing.T) {
	srv, _ := newServer(t, nil)
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
	srv, _ := newServer(t, nil)
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
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	req, _ := http.NewRequest(http.MethodGet, certsURL(srv), nil)
	req.Header.Set("x-ms-version", version)
	resp, err := srv.Client(tlsCert(f.admin)).Do(req)
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
	f := testFixture(t)
	at := time.Date(2026, time.December, 6, 13, 34, 1, 123456789, time.UTC)
	srv, _ := newServer(t, func(c *azure.Config) { c.Now = func() time.Time { return at } })
	r := call(t, client(t, srv, f.admin), http.MethodGet, certsURL(srv), nil, version)
	wantStatus(t, "GET certificates", r, http.StatusOK)
	if !bytes.Contains(r.body, []byte("<Created>2026-12-06T13:34:01.1234567Z</Created>")) {
		t.Errorf("GET certificates: Created is not .NET's 7 digits:\n%s", r.body)
	}
	if bytes.Contains(r.body, []byte("1234567890")) || bytes.Contains(r.body, []byte(".123456789")) {
		t.Errorf("GET certificates carries 9 fractional digits:\n%s", r.body)
	}
}
