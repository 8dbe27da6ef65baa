package asm_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// FuzzHandlerBodies posts arbitrary bodies to the two POST endpoints through
// Handler and checks that every answer is a 2xx or a 4xx with an XML error,
// and that an accepted service certificate's operation ends Succeeded or
// Failed.
func FuzzHandlerBodies(f *testing.F) {
	fx := emutest.Certs(f)
	srv, err := azure.New(azure.Config{Trust: []*x509.Certificate{fx.Admin.Cert}, Services: []string{"web"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	pfx, err := export.EncodePFX(fx.Site.Key, fx.Site.Cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	mgmt := emutest.Marshal(f, emutest.AddBody(fx.Certs[0]))
	for _, seed := range [][]byte{
		mgmt,
		mgmt[:len(mgmt)/2],
		emutest.Marshal(f, mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx", Password: "pw"}),
		emutest.Marshal(f, mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx", Password: "wrong"}),
		emutest.Marshal(f, mgmtclient.CertificateFile{Data: emutest.B64(fx.Site.DER), Format: "cer"}),
		emutest.Marshal(f, mgmtclient.CertificateFile{Data: "AAAA", Format: "cer"}),
		[]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CertificateFile xmlns="` + mgmtclient.Namespace + `"><Data>&a;</Data></CertificateFile>`),
		[]byte(strings.Repeat("<a>", 1000)),
		{},
		[]byte("\x00\xff"),
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	h := srv.Handler()
	serve := func(method, path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("x-ms-version", mgmtclient.APIVersion)
		req.Header.Set("Content-Type", "application/xml")
		req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{fx.Admin.Cert}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	f.Fuzz(func(t *testing.T, service bool, body []byte) {
		path := "/" + srv.Subscription + "/certificates"
		if service {
			path = "/" + srv.Subscription + "/services/hostedservices/web/certificates"
		}
		rec := serve(http.MethodPost, path, body)
		switch {
		case rec.Code >= 200 && rec.Code < 300:
		case rec.Code >= 400 && rec.Code < 500:
			var e mgmtclient.ErrorBody
			if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
				t.Fatalf("POST %s = %d with body %q, want an XML error (%v)", path, rec.Code, rec.Body, err)
			}
		default:
			t.Fatalf("POST %s = %d, want 2xx or 4xx (body %q)", path, rec.Code, rec.Body)
		}
		if rec.Header().Get("x-ms-request-id") == "" {
			t.Fatalf("POST %s: no x-ms-request-id", path)
		}
		if rec.Code != http.StatusAccepted {
			return
		}
		opPath := "/" + srv.Subscription + "/operations/" + rec.Header().Get("x-ms-request-id")
		var op mgmtclient.Operation
		for range 2 {
			rec := serve(http.MethodGet, opPath, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", opPath, rec.Code)
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &op); err != nil {
				t.Fatalf("GET %s: %v", opPath, err)
			}
		}
		if op.Status != mgmtclient.StatusSucceeded && op.Status != mgmtclient.StatusFailed {
			t.Fatalf("operation after two polls = %+v, want Succeeded or Failed", op)
		}
	})
}
