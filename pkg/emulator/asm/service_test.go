package asm_test

import (
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

func TestAddServiceCertificate(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	id := emutest.AddService(t, c, srv, "web", mgmtclient.CertificateFile{Data: emutest.B64(emutest.SitePFX(t, export.ProfileCompat, "pw")), Format: "pfx", Password: "pw"})
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("before the operation completes, ServiceCertificates = %v, want none", got)
	}
	op := emutest.Poll(t, c, srv, id)
	if want := (mgmtclient.Operation{XMLName: op.XMLName, ID: emutest.Dashed(id), Status: mgmtclient.StatusInProgress}); op != want {
		t.Errorf("first poll = %+v, want %+v", op, want)
	}
	// The operation id is accepted with dashes too.
	op = emutest.Poll(t, c, srv, emutest.Dashed(id))
	if op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK || op.Error != nil || op.ID != emutest.Dashed(id) {
		t.Errorf("second poll = %+v, want Succeeded with 200", op)
	}
	if op := emutest.Poll(t, c, srv, strings.ToUpper(id)); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("third poll = %+v, want Succeeded still", op)
	}
	tp := emutest.Thumb(f.Site.DER)
	if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{tp}) {
		t.Errorf("ServiceCertificates(web) = %v, want [%s]", got, tp)
	}
	certURL := emutest.ServiceURL(srv, "web") + "/sha1-" + tp
	want := mgmtclient.Certificate{CertificateURL: certURL, Thumbprint: tp, ThumbprintAlgorithm: "sha1", Data: emutest.B64(f.Site.DER)}
	list := emutest.Decode[mgmtclient.Certificates](t, emutest.Call(t, c, http.MethodGet, emutest.ServiceURL(srv, "web"), nil, emutest.Version))
	if len(list.Certificates) != 1 {
		t.Fatalf("list = %+v, want one certificate", list)
	}
	if got := list.Certificates[0]; got.CertificateURL != want.CertificateURL || got.Thumbprint != want.Thumbprint ||
		got.ThumbprintAlgorithm != want.ThumbprintAlgorithm || got.Data != want.Data {
		t.Errorf("list = %+v, want %+v", got, want)
	}
	for _, u := range []string{certURL, emutest.ServiceURL(srv, "web") + "/SHA1-" + strings.ToLower(tp)} {
		r := emutest.Call(t, c, http.MethodGet, u, nil, emutest.Version)
		emutest.WantStatus(t, "GET "+u, r, http.StatusOK)
		if got := emutest.Decode[mgmtclient.Certificate](t, r); got.Thumbprint != tp || got.Data != want.Data || got.CertificateURL != certURL {
			t.Errorf("GET %s = %+v, want %+v", u, got, want)
		}
	}
	// The same certificate again succeeds (the real service is idempotent).
	id2 := emutest.AddService(t, c, srv, "web", mgmtclient.CertificateFile{Data: emutest.B64(emutest.SitePFX(t, export.ProfileCompat, "other")), Format: "pfx", Password: "other"})
	if id2 == id {
		t.Errorf("two operations have the same id %s", id)
	}
	emutest.Poll(t, c, srv, id2)
	if op := emutest.Poll(t, c, srv, id2); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("adding the same certificate again = %+v, want Succeeded", op)
	}
	if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{tp}) {
		t.Errorf("ServiceCertificates(web) = %v, want [%s]", got, tp)
	}
}

func TestServiceCertificateOperations(t *testing.T) {
	f := emutest.Certs(t)
	pfx := emutest.SitePFX(t, export.ProfileCompat, "pw")
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Site.DER})
	tests := []struct {
		name    string
		file    mgmtclient.CertificateFile
		message string // "" for success
	}{
		{name: "pfx with its password", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx", Password: "pw"}},
		{name: "format in upper case", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "PFX", Password: "pw"}},
		{name: "pfx with an empty password and any password given", file: mgmtclient.CertificateFile{Data: emutest.B64(emutest.SitePFX(t, export.ProfileCompat, "")), Format: "pfx", Password: "x"}},
		{name: "pfx with a wrong password", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx", Password: "wrong"}, message: "The specified password is invalid."},
		{name: "pfx without its password", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx"}, message: "The specified password is invalid."},
		{name: "garbage as pfx", file: mgmtclient.CertificateFile{Data: emutest.B64([]byte("garbage garbage")), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "not base64", file: mgmtclient.CertificateFile{Data: "???", Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "truncated pfx", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx[:len(pfx)/2]), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "cer sent as pfx", file: mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "pfx", Password: "pw"}, message: "The certificate data is not a valid PFX."},
		{name: "cer in DER", file: mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "cer"}},
		{name: "cer in PEM", file: mgmtclient.CertificateFile{Data: emutest.B64(pemCert), Format: "cer"}},
		{name: "pfx sent as cer", file: mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "cer"}, message: "The certificate data is not a valid CER."},
		{name: "garbage as cer", file: mgmtclient.CertificateFile{Data: emutest.B64([]byte{0x30, 0x03, 0x30, 0x01, 0x00}), Format: "cer"}, message: "The certificate data is not a valid CER."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := emutest.NewServer(t, nil)
			c := emutest.Client(t, srv, f.Admin)
			id := emutest.AddService(t, c, srv, "web", tt.file)
			if op := emutest.Poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
				t.Errorf("first poll = %+v, want InProgress", op)
			}
			op := emutest.Poll(t, c, srv, id)
			if tt.message == "" {
				if op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK {
					t.Errorf("second poll = %+v, want Succeeded", op)
				}
				if got := srv.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{emutest.Thumb(f.Site.DER)}) {
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
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	good := emutest.Marshal(t, mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "cer"})
	tp := emutest.Thumb(f.Site.DER)
	tests := []struct {
		name, method, url string
		body              []byte
		status            int
		code, message     string
	}{
		{"add to an unknown service", http.MethodPost, emutest.ServiceURL(srv, "nope"), good, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"list an unknown service", http.MethodGet, emutest.ServiceURL(srv, "nope"), nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"get from an unknown service", http.MethodGet, emutest.ServiceURL(srv, "nope") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"delete from an unknown service", http.MethodDelete, emutest.ServiceURL(srv, "nope") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist."},
		{"unknown format", http.MethodPost, emutest.ServiceURL(srv, "web"), emutest.Marshal(t, mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "p7b"}), http.StatusBadRequest, "BadRequest", `"p7b" is not supported`},
		{"malformed XML", http.MethodPost, emutest.ServiceURL(srv, "web"), good[:20], http.StatusBadRequest, "InvalidXmlRequest", ""},
		{"elements out of order", http.MethodPost, emutest.ServiceURL(srv, "web"),
			[]byte(`<CertificateFile xmlns="` + mgmtclient.Namespace + `"><CertificateFormat>cer</CertificateFormat><Data>` + emutest.B64(f.Site.DER) + `</Data></CertificateFile>`),
			http.StatusBadRequest, "InvalidXmlRequest", "out of order"},
		{"get an absent certificate", http.MethodGet, emutest.ServiceURL(srv, "web") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{"delete an absent certificate", http.MethodDelete, emutest.ServiceURL(srv, "web") + "/sha1-" + tp, nil, http.StatusNotFound, "ResourceNotFound", "The certificate was not found."},
		{"name without sha1-", http.MethodGet, emutest.ServiceURL(srv, "web") + "/" + tp, nil, http.StatusBadRequest, "BadRequest", "sha1-"},
		{"sha256 name", http.MethodGet, emutest.ServiceURL(srv, "web") + "/sha256-" + strings.Repeat("AB", 32), nil, http.StatusBadRequest, "BadRequest", "sha1-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := emutest.Call(t, c, tt.method, tt.url, tt.body, emutest.Version)
			emutest.WantError(t, tt.method, r, tt.status, tt.code, tt.message)
		})
	}
	// Service names are not case-sensitive.
	r := emutest.Call(t, c, http.MethodGet, emutest.ServiceURL(srv, "WEB"), nil, emutest.Version)
	emutest.WantStatus(t, "GET WEB", r, http.StatusOK)
}

func TestOperationDelay(t *testing.T) {
	f := emutest.Certs(t)
	srv, clk := emutest.NewServer(t, func(c *azure.Config) { c.OperationDelay = 10 * time.Minute })
	c := emutest.Client(t, srv, f.Admin)
	file := mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "cer"}

	id := emutest.AddService(t, c, srv, "web", file)
	for i, advance := range []time.Duration{0, 5 * time.Minute, 4*time.Minute + 59*time.Second} {
		clk.Advance(advance)
		if op := emutest.Poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
			t.Fatalf("poll %d at +%s = %s, want InProgress", i+1, clk.Now().Sub(emutest.FixedNow), op.Status)
		}
	}
	clk.Advance(time.Second)
	if op := emutest.Poll(t, c, srv, id); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("poll after the delay = %s, want Succeeded", op.Status)
	}

	// An operation first polled after its delay is still InProgress once.
	id = emutest.AddService(t, c, srv, "web", file)
	clk.Advance(time.Hour)
	if op := emutest.Poll(t, c, srv, id); op.Status != mgmtclient.StatusInProgress {
		t.Errorf("first poll after the delay = %s, want InProgress", op.Status)
	}
	if op := emutest.Poll(t, c, srv, id); op.Status != mgmtclient.StatusSucceeded {
		t.Errorf("second poll after the delay = %s, want Succeeded", op.Status)
	}
}

func TestDeleteServiceCertificate(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	id := emutest.AddService(t, c, srv, "web", mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "cer"})
	emutest.Poll(t, c, srv, id)
	emutest.Poll(t, c, srv, id)
	u := emutest.ServiceURL(srv, "web") + "/sha1-" + emutest.Thumb(f.Site.DER)
	r := emutest.Call(t, c, http.MethodDelete, u, nil, emutest.Version)
	emutest.WantStatus(t, "DELETE", r, http.StatusAccepted)
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("after DELETE, ServiceCertificates(web) = %v, want none", got)
	}
	del := r.Header.Get("x-ms-request-id")
	if op := emutest.Poll(t, c, srv, del); op.Status != mgmtclient.StatusInProgress {
		t.Errorf("first poll of the delete = %s, want InProgress", op.Status)
	}
	if op := emutest.Poll(t, c, srv, del); op.Status != mgmtclient.StatusSucceeded || op.HTTPStatusCode != http.StatusOK {
		t.Errorf("second poll of the delete = %+v, want Succeeded", op)
	}
	r = emutest.Call(t, c, http.MethodDelete, u, nil, emutest.Version)
	emutest.WantError(t, "DELETE again", r, http.StatusNotFound, "ResourceNotFound", "The certificate was not found.")
}

func TestServiceCertificatesUnknownService(t *testing.T) {
	srv, _ := emutest.NewServer(t, nil)
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
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	id := emutest.AddService(t, c, srv, "web", mgmtclient.CertificateFile{Data: emutest.B64(emutest.SitePFX(t, export.ProfileModern, "pw")), Format: "pfx", Password: "pw"})
	emutest.Poll(t, c, srv, id) // the first poll is always InProgress
	op := emutest.Poll(t, c, srv, id)
	if op.Status != mgmtclient.StatusFailed || op.Error == nil || !strings.Contains(op.Error.Message, "AES-256") {
		t.Errorf("AES .pfx: operation = %+v, want Failed mentioning AES-256", op)
	}
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("AES .pfx stored: %v", got)
	}
}
