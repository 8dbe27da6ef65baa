package asm_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// Benchmarks of the emulator's handler, called directly (no network, no
// TLS): what the emulator adds to every request a test or a user's script
// makes. CI runs them once each (go test -run '^$' -bench . -benchtime=1x);
// they assert nothing about time.

func BenchmarkHandler(b *testing.B) {
	f := emutest.Certs(b)
	srv, err := azure.New(azure.Config{Trust: []*x509.Certificate{f.Admin.Cert}, Services: []string{"web"}, Now: emutest.NewClock().Now})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range f.Certs[:4] {
		if err := srv.ASM.Register(c.Cert); err != nil {
			b.Fatal(err)
		}
	}
	h := srv.Handler()
	state := &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{f.Admin.Cert}}
	base := "https://127.0.0.1/" + srv.Subscription + "/certificates"
	serve := func(b *testing.B, method, url string, body []byte, want int) {
		r := httptest.NewRequest(method, url, bytes.NewReader(body))
		r.TLS = state
		r.Header.Set("x-ms-version", mgmtclient.APIVersion)
		if body != nil {
			r.Header.Set("Content-Type", "application/xml")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("%s %s: %d, want %d: %s", method, url, w.Code, want, w.Body)
		}
	}
	last := f.Certs[5]
	add := emutest.Marshal(b, emutest.AddBody(last))
	b.Run("add+delete", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(b, http.MethodPost, base, add, http.StatusCreated)
			serve(b, http.MethodDelete, base+"/"+emutest.Thumb(last.DER), nil, http.StatusOK)
			srv.ResetRequests()
		}
	})
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(b, http.MethodGet, base, nil, http.StatusOK)
			srv.ResetRequests()
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(b, http.MethodGet, base+"/"+emutest.Thumb(f.Certs[0].DER), nil, http.StatusOK)
			srv.ResetRequests()
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		dup := emutest.Marshal(b, emutest.AddBody(f.Certs[0]))
		b.ReportAllocs()
		for b.Loop() {
			serve(b, http.MethodPost, base, dup, http.StatusConflict)
			srv.ResetRequests()
		}
	})
	b.Run("forbidden", func(b *testing.B) {
		stranger := &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{f.Site.Cert}}
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodGet, base, nil)
			r.TLS = stranger
			r.Header.Set("x-ms-version", mgmtclient.APIVersion)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				b.Fatalf("%d, want 403", w.Code)
			}
			srv.ResetRequests()
		}
	})
}

// BenchmarkServerRoundTrip is one request over a kept-alive TLS connection
// to a started server: the handler plus HTTP and TLS record overhead.
func BenchmarkServerRoundTrip(b *testing.B) {
	f := emutest.Certs(b)
	srv := emulatortest.NewServer(b, azure.Config{Trust: []*x509.Certificate{f.Admin.Cert}})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.ClientTLSConfig(emutest.TLSCert(f.Admin))}}
	b.Cleanup(c.CloseIdleConnections)
	url := srv.URL + "/" + srv.Subscription + "/certificates"
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("x-ms-version", mgmtclient.APIVersion)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%d", resp.StatusCode)
		}
		srv.ResetRequests()
	}
	if hs := srv.Handshakes(); hs != 1 {
		b.Fatalf("%d TLS handshakes over %d requests on one kept-alive connection, want 1", hs, b.N)
	}
}
