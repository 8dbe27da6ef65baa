package emulator_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
)

// TestHandshakes: the server counts one TLS handshake per connection, not
// per request, and counts handshakes that fail too.
func TestHandshakes(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	if n := srv.Handshakes(); n != 0 {
		t.Fatalf("Handshakes() = %d before any connection, want 0", n)
	}
	keepAlive := emutest.Client(t, srv, f.Admin)
	for range 5 {
		emutest.WantStatus(t, "list", emutest.Call(t, keepAlive, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version), http.StatusOK)
	}
	if n := srv.Handshakes(); n != 1 {
		t.Errorf("Handshakes() = %d after 5 requests on one kept-alive connection, want 1", n)
	}

	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(emutest.TLSCert(f.Admin)), DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	noKeepAlive := &http.Client{Transport: tr}
	for range 3 {
		emutest.WantStatus(t, "list", emutest.Call(t, noKeepAlive, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version), http.StatusOK)
	}
	if n := srv.Handshakes(); n != 4 {
		t.Errorf("Handshakes() = %d after 3 more requests without keep-alive, want 4", n)
	}

	// A client that does not trust the server abandons the handshake; it
	// still counts.
	conn, err := tls.Dial("tcp", srv.URL[len("https://"):], &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12})
	if err == nil {
		conn.Close()
		t.Fatal("a client without the server's CA completed the handshake")
	}
	if n := srv.Handshakes(); n != 5 {
		t.Errorf("Handshakes() = %d after a failed handshake, want 5", n)
	}
}

// TestHandshakesUnstarted: a server that never listened served none.
func TestHandshakesUnstarted(t *testing.T) {
	srv, err := azure.New(azure.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Handshakes(); n != 0 {
		t.Errorf("Handshakes() = %d, want 0", n)
	}
}

// TestPeakConnections: the peak counts connections open at once, and a
// reset leaves out those already open.
func TestPeakConnections(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	dial := func() *tls.Conn {
		t.Helper()
		conn, err := tls.Dial("tcp", srv.URL[len("https://"):], srv.ClientTLSConfig(emutest.TLSCert(f.Admin)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	a, b := dial(), dial()
	if n := srv.PeakConnections(); n != 2 {
		t.Errorf("PeakConnections() = %d with two open, want 2", n)
	}
	srv.ResetPeakConnections()
	if n := srv.PeakConnections(); n != 0 {
		t.Errorf("PeakConnections() = %d after a reset, want 0", n)
	}
	dial()
	if n := srv.PeakConnections(); n != 1 {
		t.Errorf("PeakConnections() = %d: a reset must not count the two still open; want 1", n)
	}
	a.Close()
	b.Close()
}
