package retrynote

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

func pipeline(o Options) runtime.Pipeline {
	perCall, perRetry := Policies(o)
	return runtime.NewPipeline("test", "v1", runtime.PipelineOptions{}, &policy.ClientOptions{
		Retry: o.Retry, PerCallPolicies: []policy.Policy{perCall}, PerRetryPolicies: []policy.Policy{perRetry},
	})
}

func TestOnRetryPerRetry(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<Error><Code>TooManyRequests</Code><Message>m</Message></Error>`))
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"m"}}`))
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	var got []Retry
	pl := pipeline(Options{Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond},
		OnRetry: func(r Retry) { got = append(got, r) }})
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, srv.URL)
	resp, err := pl.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	want := []Retry{
		{Attempt: 1, Of: 4, Answer: "503 TooManyRequests", Wait: time.Millisecond},
		{Attempt: 2, Of: 4, Answer: "429 TooManyRequests", Wait: 0, RetryAfter: true},
	}
	if len(got) != len(want) {
		t.Fatalf("OnRetry called %d times (%+v), want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("retry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTimeoutNamesLastAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`<Error><Code>ServerBusy</Code></Error>`))
	}))
	defer srv.Close()
	pl := pipeline(Options{Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: time.Minute, MaxRetryDelay: time.Minute}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := runtime.NewRequest(ctx, http.MethodGet, srv.URL)
	_, err := pl.Do(req)
	exh, ok := Last(err)
	if !ok || exh.Last != "503 ServerBusy" || exh.Attempts != 1 || !exh.Answered {
		t.Fatalf("Last(%v) = %+v, %v; want 503 ServerBusy after 1 answered attempt", err, exh, ok)
	}
	if want := "the time limit ran out after 1 attempts; the last answer was 503 ServerBusy"; exh.Summary() != want {
		t.Errorf("Summary = %q, want %q", exh.Summary(), want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not unwrap to the deadline", err)
	}
}

// With nothing listening, no attempt has an answer: the error says so and
// names the network failure, not an "answer".
func TestTimeoutWithoutAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens on url now
	pl := pipeline(Options{Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: time.Minute}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := runtime.NewRequest(ctx, http.MethodGet, url)
	_, err := pl.Do(req)
	exh, ok := Last(err)
	if !ok {
		t.Fatalf("Last(%v): no ExhaustedError", err)
	}
	if exh.Answered || exh.Attempts < 1 || !strings.Contains(exh.Last, "connection refused") {
		t.Fatalf("Last = %+v; want an unanswered attempt failing with connection refused", exh)
	}
	if s := exh.Summary(); !strings.HasPrefix(s, "no answer in time after ") || strings.Contains(s, "answer was") {
		t.Errorf("Summary = %q", s)
	}
}

// A server whose certificate does not verify is not retried: no retry
// can make it trusted.
func TestUntrustedIsNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	var retries int
	pl := pipeline(Options{Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond},
		OnRetry: func(Retry) { retries++ }})
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, srv.URL)
	_, err := pl.Do(req)
	if err == nil || !Untrusted(err) {
		t.Fatalf("Do = %v, want a certificate verification error", err)
	}
	if retries != 0 {
		t.Errorf("retried %d times", retries)
	}
	if _, ok := Last(err); ok {
		t.Errorf("error %v carries an ExhaustedError; only a timeout does", err)
	}
}

// TestRetryAfterBeyondCap: azcore does not retry an answer whose
// Retry-After exceeds MaxRetryDelay, so no retry is announced.
func TestRetryAfterBeyondCap(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	var got []Retry
	pl := pipeline(Options{Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Second},
		OnRetry: func(r Retry) { got = append(got, r) }})
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, srv.URL)
	resp, err := pl.Do(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Do = %v, %v; want the 429", resp, err)
	}
	if n.Load() != 1 || len(got) != 0 {
		t.Errorf("%d requests and retries announced %+v; want 1 request and none announced", n.Load(), got)
	}
}
