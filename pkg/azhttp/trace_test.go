package azhttp_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/pkg/azhttp"
)

var (
	passwordXML  = regexp.MustCompile(`<Password>.*?</Password>`)
	passwordJSON = regexp.MustCompile(`"password":"[^"]*"`)
)

// TestTrace: header values outside the client's allow-list are REDACTED,
// bodies go through its redactor, and the trace shows the rest.
func TestTrace(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		redact  func([]byte) []byte
		body    string
		shown   []string // lines the trace must have
		hidden  []string // text it must not have
	}{
		{
			name:    "Service Management",
			headers: []string{"X-Ms-Version", "Content-Type", "x-ms-request-id", "User-Agent"},
			redact: func(b []byte) []byte {
				return passwordXML.ReplaceAll(b, []byte("<Password>REDACTED</Password>"))
			},
			body: "<CertificateFile><Password>s3cret-pw</Password></CertificateFile>",
			shown: []string{
				"azcert: debug: > POST https://",
				"azcert: debug:   X-Ms-Version: 2014-10-01",
				"azcert: debug:   Cookie: REDACTED",
				"azcert: debug:   Authorization: REDACTED",
				"azcert: debug:   <CertificateFile><Password>REDACTED</Password></CertificateFile>",
				"azcert: debug: < 201 Created",
				"azcert: debug:   X-Ms-Request-Id: req-1",
				"azcert: debug:   Set-Cookie: REDACTED",
				"azcert: debug:   X-Ms-Correlation-Request-Id: REDACTED",
			},
			hidden: []string{"s3cret-pw", "Bearer tok", "session=abc"},
		},
		{
			name:    "Resource Manager",
			headers: []string{"Content-Type", "X-Ms-Request-Id", "X-Ms-Correlation-Request-Id"},
			redact: func(b []byte) []byte {
				return passwordJSON.ReplaceAll(b, []byte(`"password":"REDACTED"`))
			},
			body: `{"properties":{"password":"s3cret-pw"}}`,
			shown: []string{
				"azcert: debug:   X-Ms-Version: REDACTED",
				"azcert: debug:   User-Agent: REDACTED",
				`azcert: debug:   {"properties":{"password":"REDACTED"}}`,
				"azcert: debug:   X-Ms-Correlation-Request-Id: corr-1",
				"azcert: debug:   X-Ms-Request-Id: req-1",
			},
			hidden: []string{"s3cret-pw", "Bearer tok", "session=abc"},
		},
		{
			name:    "Authorization allow-listed by mistake",
			headers: []string{"Authorization", "Content-Type"},
			shown:   []string{"azcert: debug:   Authorization: REDACTED"},
			hidden:  []string{"Bearer tok"},
		},
		{
			name:    "no redactor: no bodies",
			headers: []string{"Content-Type"},
			body:    "<Password>s3cret-pw</Password>",
			shown:   []string{"azcert: debug:   Content-Type: application/xml"},
			hidden:  []string{"s3cret-pw", "answer-body"},
		},
	}
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("x-ms-request-id", "req-1")
		w.Header().Set("x-ms-correlation-request-id", "corr-1")
		w.Header().Set("Set-Cookie", "session=abc")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "answer-body\nline two")
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trace bytes.Buffer
			o := options(srv)
			o.Trace, o.TraceHeaders, o.RedactBody = &trace, tt.headers, tt.redact
			req, err := runtime.NewRequest(context.Background(), http.MethodPost, srv.URL+"/sub/certificates")
			if err != nil {
				t.Fatal(err)
			}
			req.Raw().Header.Set("x-ms-version", "2014-10-01")
			req.Raw().Header.Set("Authorization", "Bearer tok-123")
			req.Raw().Header.Set("Cookie", "session=abc")
			if err := azhttp.SetBody(req, []byte(tt.body), "application/xml"); err != nil {
				t.Fatal(err)
			}
			_, data, err := azhttp.New(o).Do(req, "POST /sub/certificates", http.StatusCreated)
			if err != nil || string(data) != "answer-body\nline two" {
				t.Fatalf("Do = %q, %v; the trace must leave the answer as it was", data, err)
			}
			lines := strings.Split(trace.String(), "\n")
			for _, want := range tt.shown {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, want)
				}
				if !found {
					t.Errorf("the trace lacks %q:\n%s", want, trace.String())
				}
			}
			for _, bad := range tt.hidden {
				if strings.Contains(trace.String(), bad) {
					t.Errorf("the trace holds %q:\n%s", bad, trace.String())
				}
			}
			for _, l := range lines[:len(lines)-1] {
				if !strings.HasPrefix(l, "azcert: debug: ") {
					t.Errorf("trace line %q lacks the prefix (a body's newline was not folded?)", l)
				}
			}
		})
	}
}

// TestTraceLongBody: a body is cut at 2048 bytes.
func TestTraceLongBody(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		fmt.Fprint(w, strings.Repeat("a", 5000))
	})
	var trace bytes.Buffer
	o := options(srv)
	o.Trace, o.RedactBody = &trace, func(b []byte) []byte { return b }
	if _, _, err := get(t, azhttp.New(o), context.Background(), srv.URL+"/x", http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trace.String(), "azcert: debug:   "+strings.Repeat("a", 2048)+"...\n") {
		t.Errorf("the trace does not cut the body at 2048 bytes:\n%.300s", trace.String())
	}
}

// TestTraceError: a failed try is one trace line.
func TestTraceError(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	srv.Close()
	var trace bytes.Buffer
	o := options(srv)
	o.Retry.MaxRetries = -1
	o.Trace = &trace
	get(t, azhttp.New(o), context.Background(), srv.URL+"/x", http.StatusOK)
	lines := strings.Split(strings.TrimSuffix(trace.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "azcert: debug: < error: ") {
		t.Errorf("the trace ends with %q, want the error line", last)
	}
}
