package apimclient_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/apimclient"
)

// TestTraceHeaders: the --debug trace shows the ARM headers of the
// allow-list, redacts every other value, and never holds the token (the
// trace runs before the bearer token is added).
func TestTraceHeaders(t *testing.T) {
	srv, _ := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("x-ms-correlation-request-id", "corr-1")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Set-Cookie", "session=abc")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(contractJSON("a", strings.Repeat("A", 40))))
	})
	var trace bytes.Buffer
	c := newClient(t, srv, apimclient.StaticToken("tok-123"), &trace)
	if _, err := c.Get(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Accept: application/json", "User-Agent: REDACTED", "X-Ms-Request-Id: req-1",
		"X-Ms-Correlation-Request-Id: corr-1", `Etag: "v1"`, "Set-Cookie: REDACTED",
	} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("the trace lacks %q:\n%s", want, trace.String())
		}
	}
	for _, bad := range []string{"tok-123", "session=abc"} {
		if strings.Contains(trace.String(), bad) {
			t.Errorf("the trace holds %q:\n%s", bad, trace.String())
		}
	}
}
