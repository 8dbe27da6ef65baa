package asm_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// TestNestedBodyBounded: a 4 MB request body of nested elements (the most
// the emulator reads) from an authorised client is refused with 400
// without taking memory out of proportion. Before the fix one such request
// allocated about 265 MiB (encoding/xml keeps a stack entry per open
// element).
func TestNestedBodyBounded(t *testing.T) {
	fx := emutest.Certs(t)
	srv, err := azure.New(azure.Config{Trust: []*x509.Certificate{fx.Admin.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var b bytes.Buffer
	b.WriteString(`<SubscriptionCertificate xmlns="http://schemas.microsoft.com/windowsazure">`)
	for b.Len() < emulator.MaxBodySize-10 {
		b.WriteString("<a>")
	}
	req := httptest.NewRequest(http.MethodPost, "/"+srv.Subscription+"/certificates", bytes.NewReader(b.Bytes()))
	req.Header.Set("x-ms-version", mgmtclient.APIVersion)
	req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{fx.Admin.Cert}}
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	srv.Handler().ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("POST of nested XML = %d, want 400", rec.Code)
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("answered %d; %.1f MiB allocated", rec.Code, float64(got)/(1<<20))
	if got > 32<<20 {
		t.Errorf("allocated %d MiB for a 4 MiB body, want at most 32 MiB", got>>20)
	}
}
