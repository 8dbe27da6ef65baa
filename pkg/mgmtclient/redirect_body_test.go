package mgmtclient_test

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
)

// TestRedirectedPostKeepsItsBody: a POST answered by 307 (three times in a
// row) is followed with its body each time. Before the fix,
// `go test -race -count=5 -run TestRedirectedPostKeepsItsBody ./pkg/mgmtclient`
// reported a DATA RACE on the body's bytes.Reader (azcore's GetBody seeks
// the one shared body while net/http's writeLoop of the previous hop still
// holds it), and without -race "http: ContentLength=N with Body length 0"
// and extra requests.
func TestRedirectedPostKeepsItsBody(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect, Count: 3})
	c := newClient(t, srv, tlsCert(admin, adminKey), nil)
	cert, _ := testCert(t, "deploy", 1)
	if err := c.AddManagementCertificate(context.Background(), cert); err != nil {
		t.Fatalf("AddManagementCertificate after three 307s: %v", err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4 (three redirected POSTs and the one that succeeds)", n)
	}
}
