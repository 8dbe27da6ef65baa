package mgmtclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/mgmtclient"
)

type nestedBody struct{ body []byte }

func (n nestedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(n.body)), ContentLength: int64(len(n.body)), Request: r}, nil
}

// TestNestedResponseBounded: an answer of 16 MB of nested elements (what
// the client reads at most) must be refused without taking memory out of
// proportion. Before the fix ListManagementCertificates allocated about
// 1.1 GB for it (encoding/xml keeps a stack entry per open element).
func TestNestedResponseBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`<SubscriptionCertificates xmlns="http://schemas.microsoft.com/windowsazure"><SubscriptionCertificate>`)
	for b.Len() < 16<<20-100 {
		b.WriteString("<a>")
	}
	allocated, err := listThrough(t, nestedBody{b.Bytes()})
	if err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("ListManagementCertificates = %v, want the nesting refused", err)
	}
	t.Logf("refused: %v; %.1f MiB allocated", err, float64(allocated)/(1<<20))
	if allocated > 96<<20 {
		t.Errorf("allocated %d MiB for a 16 MiB answer, want at most 96 MiB", allocated>>20)
	}
}

// endless is an answer that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type countingBody struct{ n *int }

func (c countingBody) RoundTrip(r *http.Request) (*http.Response, error) {
	*c.n++
	// ContentLength -1: the limit must hold while reading, not only on
	// an announced length.
	return &http.Response{StatusCode: 200, Status: "200 OK", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(endless{}), ContentLength: -1, Request: r}, nil
}

// TestAnswerTooLarge: an answer larger than MaxAnswerSize (here one that
// never ends) is refused while it is read, is not asked for again, and
// costs memory in proportion to the limit.
func TestAnswerTooLarge(t *testing.T) {
	n := 0
	allocated, err := listThrough(t, countingBody{&n})
	var ue *mgmtclient.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("ListManagementCertificates of an endless answer = %v, want an *UnavailableError saying it is too large", err)
	}
	if n != 1 {
		t.Errorf("%d requests, want 1: a too large answer is not asked for again", n)
	}
	t.Logf("refused: %v; %d request(s); %.1f MiB allocated", err, n, float64(allocated)/(1<<20))
	if allocated > 96<<20 {
		t.Errorf("allocated %d MiB reading an answer limited to 16 MiB, want at most 96 MiB", allocated>>20)
	}
}

// listThrough lists management certificates through a client whose
// answers come from rt (with the default retries, a millisecond apart), and
// returns the bytes the process allocated meanwhile and the error.
func listThrough(t *testing.T, rt http.RoundTripper) (uint64, error) {
	t.Helper()
	c, err := mgmtclient.New(mgmtclient.Options{Endpoint: "https://management.example", Subscription: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36",
		HTTPClient: &http.Client{Transport: rt}, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = c.ListManagementCertificates(context.Background())
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}
