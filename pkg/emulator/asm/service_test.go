package asm_test

import (
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

func TestAddServiceCertificate(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	id := addService(t, c, srv, "web", mgmtclient.CertificateFile{Data: b64(sitePFX(t, export.ProfileCompat, "pw")), Format: "pfx", Password: "pw"})
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("before the operation completes, ServiceCertificates = %v, want none", got)
	}
	op := poll(t, c, srv, id)
	if want := (mgmtclient.Operation{XMLName: op.XMLName, ID: dashed(id), Status: mgmtclient.StatusInProgress}); op != want {
		t.Errorf("first poll = %+v, want %+v", op, want)
	}
	// The operation id is accepted with dashes too.
	op = poll(t, c, srv, dashed(id))
	if op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK || op.Error != nil || op.ID != dashed(id) {
		t.Errorf("second poll = %+v, want Succeeded with 200", op)
	}
	if op := poll(t, c, srv, strings.ToUpper(id)); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("third poll = %+v, want Succeeded still", op)
	}
	tp := thumb(f.site.DER)
	if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{tp}) {
		t.Errorf("ServiceCertificates(web) = %v, want [%s]", got, tp)
	}
	certURL := serviceURL(srv, "web") + "/sha1-" + tp
	want := mgmtclient.Certificate{CertificateURL: certURL, Thumbprint: tp, ThumbprintAlgorithm: "sha1", Data: b64(f.site.DER)}
	list := decode[mgmtclient.Certificates](t, call(t, c, http.MethodGet, serviceURL(srv, "web"), nil, version))
	if len(list.Certificates) != 1 {
		t.Fatalf("list = %+v, want one certificate", list)
	}
	if got := list.Certificates[0]; got.CertificateURL != want.CertificateURL || got.Thumbprint != want.Thumbprint ||
		got.ThumbprintAlgorithm != want.ThumbprintAlgorithm || got.Data != want.Data {
		t.Errorf("list = %+v, want %+v", got, want)
	}
	for _, u := range []string{certURL, serviceURL(srv, "web") + "/SHA1-" + strings.ToLower(tp)} {
		r := call(t, c, http.MethodGet, u, nil, version)
		wantStatus(t, "GET "+u, r, http.StatusOK)
		if got := decode[mgmtclient.Certificate](t, r); got.Thumbprint != tp || got.Data != want.Data || got.CertificateURL != certURL {
			t.Errorf("GET %s = %+v, want %+v", u, got, want)
		}
	}
	// The same certificate again succeeds (the real service is idempotent).
	id2 := addService(t, c, srv, "web", mgmtclient.CertificateFile{Data: b64(sitePFX(t, export.ProfileCompat, "other")), Format: "pfx", Password: "other"})
	if id2 == id {
		t.Errorf("two operations have the same id %s", id)
	}
	poll(t, c, srv, id2)
	if op := poll(t, c, srv, id2); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("adding the same certificate again = %+v, want Succeeded", op)
	}
	if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{tp}) {
		t.Errorf("ServiceCertificates(web) = %v, want [%s]", got, tp)
	}
}

func TestServiceCertificateOperations(t *testing.T) {
	f := testFixture(t)
	pfx := sitePFX(t, export.ProfileCompat, "pw")
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.site.DER})
	tests := []struct {
		name    string
		file    mgmtclient.CertificateFile
		message string // "" for success
	}{
		{name: "pfx with its password", file: mgmtclient.CertificateFile{Data: b64(pfx), Format: "pfx", Password: "pw"}},
		{name: "format in upper case", file: mgmtclient.CertificateFile{Data: b64(pfx), Format: "PFX", Password: "pw"}},
		{name: "pfx with an empty password and any password given", file: mgmtclient.CertificateFile{Data: b64(sitePFX(t, export.ProfileCompat, "")), Format: "pfx", Password: "x"}},
		{name: "pfx with a wrong password", file: mgmtclient.CertificateFile{Data: b64(pfx), Format: "pfx", Password: "wrong"}, message: "The specified password is invalid."},
		{name: "pfx without its password", file: mgmtclient.CertificateFile{Data: b64(pfx), Format: "pfx"}, message: "The specified password is invalid."},
		{name: "garbage as pfx", file: mgmtclient.CertificateFile{Data: b64([]byte("garbage garbage")), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "not base64", file: mgmtclient.CertificateFile{Data: "???", Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "truncated pfx", file: mgmtclient.CertificateFile{Data: b64(pfx[:len(pfx)/2]), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "cer sent as pfx", file: mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "cer in DER", file: mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "cer"}},
		{name: "cer in PEM", file: mgmtclient.CertificateFile{Data: b64(pemCert), Format: "cer"}},
		{name: "pfx sent as cer", file: mgmtclient.CertificateFile{Data: b64(pfx), Format: "cer"}, message: "The certificate data is not a valid CER."},
		{name: "garbage as cer", file: mgmtclient.CertificateFile{Data: b64([]byte{0x30, 0x03, 0x30, 0x01, 0x00}), Format: "cer"}, message: "The certificate data is not a valid CER."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, nil)
			c := client(t, srv, f.admin)
			id := addService(t, c, srv, "web", tt.file)
			if op := poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
				t.Errorf("first poll = %+v, want InProgress", op)
			}
			op := poll(t, c, srv, id)
			if tt.message == "" {
				if op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK {
					t.Errorf("second poll = %+v, want Succeeded", op)
				}
				if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{thumb(f.site.DER)}) {
					t.Errorf("ServiceCertificates(web) = %v, want the site certificate", got)
				}
				return
			}
			if op.Status != mgmtclient.StatusFailed || op.HTTPStatusCode != http.StatusBadRequest || op.Error == nil ||
				op.Error.Code != "BadRequest" || op.Error.Message != tt.message {
				t.Errorf("second poll = %+v (error %+v), want Failed, 400, BadRequest %q", op, op.Error, tt.message)
			}
			if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
				t.Errorf("after a failed add, ServiceCertificates(web) = %v, want none", got)
			}
		})
	}
}

func TestServiceCertificateErrors(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	good := marshal(t, mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "cer"})
	tp := thumb(f.site.DER)
	tests := []struct {
		name, method, url string
		body              []byte
		status            int
		code, message     string
	}{
		{"add to an unknown service", http.MethodPost, serviceURL(srv, "nope"), good, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"list an unknown service", http.MethodGet, serviceURL(srv, "nope"), nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"get from an unknown service", http.MethodGet, serviceURL(srv, "nope") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"delete from an unknown service", http.MethodDelete, serviceURL(srv, "nope") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"unknown format", http.MethodPost, serviceURL(srv, "web"), marshal(t, mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "p7b"}), http.StatusBadRequest, "BadRequest", `"p7b" is not supported`},
		{"malformed XML", http.MethodPost, serviceURL(srv, "web"), good[:20], http.StatusBadRequest, "InvalidXmlRequest", ""},
		{"elements out of order", http.MethodPost, serviceURL(srv, "web"),
			[]byte(`<CertificateFile xmlns="` + mgmtclient.Namespace + `"><CertificateFormat>cer</CertificateFormat><Data>` + b64(f.site.DER) + `</Data></CertificateFile>`),
			http.StatusBadRequest, "InvalidXmlRequest", "out of order"},
		{"get an absent certificate", http.MethodGet, serviceURL(srv, "web") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{"delete an absent certificate", http.MethodDelete, serviceURL(srv, "web") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{"name without sha1-", http.MethodGet, serviceURL(srv, "web") + "/" + tp, nil, http.StatusBadRequest, "BadRequest", "sha1-"},
		{"sha256 name", http.MethodGet, serviceURL(srv, "web") + "/sha256-" + strings.Repeat("AB", 32), nil, http.StatusBadRequest, "BadRequest", "sha1-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, c, tt.method, tt.url, tt.body, version)
			wantError(t, tt.method, r, tt.status, tt.code, tt.message)
		})
	}
	// Service names are not case-sensitive.
	r := call(t, c, http.MethodGet, serviceURL(srv, "WEB"), nil, version)
	wantStatus(t, "GET WEB", r, http.StatusOK)
}

func TestOperationDelay(t *testing.T) {
	f := testFixture(t)
	srv, clk := newServer(t, func(c *azure.Config) { c.OperationDelay = 10 * time.Minute })
	c := client(t, srv, f.admin)
	file := mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "cer"}

	id := addService(t, c, srv, "web", file)
	for i, advance := range []time.Duration{0, 5 * time.Minute, 4*time.Minute + 59*time.Second} {
		clk.Advance(advance)
		if op := poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
			t.Fatalf("poll %d at +%s = %s, want InProgress", i+1, clk.Now().Sub(fixedNow), op.Status)
		}
	}
	clk.Advance(time.Second)
	if op := poll(t, c, srv, id); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("poll after the delay = %s, want Succeeded", op.Status)
	}

	// An operation first polled after its delay is still InProgress once.
	id = addService(t, c, srv, "web", file)
	clk.Advance(time.Hour)
	if op := poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
		t.Errorf("first poll after the delay = %s, want InProgress", op.Status)
	}
	if op := poll(t, c, srv, id); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("second poll after the delay = %s, want Succeeded", op.Status)
	}
}

func TestDeleteServiceCertificate(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	id := addService(t, c, srv, "web", mgmtclient.CertificateFile{Data: b64(f.site.DER), Format: "cer"})
	poll(t, c, srv, id)
	poll(t, c, srv, id)
	u := serviceURL(srv, "web") + "/sha1-" + thumb(f.site.DER)
	r := call(t, c, http.MethodDelete, u, nil, version)
	wantStatus(t, "DELETE", r, http.StatusAccepted)
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("after DELETE, ServiceCertificates(web) = %v, want none", got)
	}
	del := r.header.Get("x-ms-request-id")
	if op := poll(t, c, srv, del); op.Status != mgmtclient.StatusInProgress {
		t.Errorf("first poll of the delete = %s, want InProgress", op.Status)
	}
	if op := poll(t, c, srv, del); op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK {
		t.Errorf("second poll of the delete = %+v, want Succeeded", op)
	}
	r = call(t, c, http.MethodDelete, u, nil, version)
	wantError(t, "DELETE again", r, http.StatusNotFound, "ResourceNotFound", "The certificate was not found.")
}

func TestServiceCertificatesUnknownService(t *testing.T) {
	srv, _ := newServer(t, nil)
	if got := srv.ASM.ServiceCertificates("nope"); got != nil {
		t.Errorf("ServiceCertificates(nope) = %v, want nil", got)
	}
	if got := srv.ASM.ServiceCertificates("web"); got == nil || len(got) != 0 {
		t.Errorf("ServiceCertificates(web) = %#v, want an empty list", got)
	}
}

// TestAESPFXRefused: Cloud Services does not accept AES-encrypted .pfx
// files, so the emulator's operation fails for the modern profile.
func TestAESPFXRefused(t *testing.T) {
	f := testFixture(t)
	srv, _ := newServer(t, nil)
	c := client(t, srv, f.admin)
	id := addService(t, c, srv, "web", mgmtclient.CertificateFile{Data: b64(sitePFX(t, export.ProfileModern, "pw")), Format: "pfx", Password: "pw"})
	poll(t, c, srv, id) // the first poll is always InProgress
	op := poll(t, c, srv, id)
	if op.Status != mgmtclient.StatusFailed || op.Error == nil || !strings.Contains(op.Error.Message, "AES-256") {
		t.Errorf("AES .pfx: operation = %+v, want Failed mentioning AES-256", op)
	}
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("AES .pfx stored: %v", got)
	}
}
