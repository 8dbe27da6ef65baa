package mgmtclient_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/mgmtclient"
)

// TestTraceHeaders: the --debug trace shows the Service Management
// headers of the allow-list and redacts every other value.
func TestTraceHeaders(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-request-id", "0a1b2c3d")
		w.Header().Set("x-ms-correlation-request-id", "corr-1")
		w.Header().Set("Set-Cookie", "session=abc")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var trace bytes.Buffer
	c, err := mgmtclient.New(mgmtclient.Options{Endpoint: srv.URL, Subscription: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36",
		HTTPClient: srv.Client(), Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddServiceCertificate(context.Background(), "svc", []byte("PFX"), "pfx", "Right-Pa55"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"X-Ms-Version: " + mgmtclient.APIVersion, "Content-Type: application/xml", "Accept: application/xml",
		"User-Agent: azcert", "X-Ms-Request-Id: 0a1b2c3d", "Set-Cookie: REDACTED", "X-Ms-Correlation-Request-Id: REDACTED",
		"<Data>REDACTED</Data>", "<Password>REDACTED</Password>",
	} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("the trace lacks %q:\n%s", want, trace.String())
		}
	}
	for _, bad := range []string{"Right-Pa55", "session=abc", "corr-1"} {
		if strings.Contains(trace.String(), bad) {
			t.Errorf("the trace holds %q:\n%s", bad, trace.String())
		}
	}
}
