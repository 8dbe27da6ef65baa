package azhttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/pkg/azhttp"
)

// server answers each request with handler and counts them.
func server(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		handler(w, r, k)
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func options(srv *httptest.Server) azhttp.Options {
	return azhttp.Options{Module: "azcert/test", Transport: srv.Client(),
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}}
}

func get(t *testing.T, c *azhttp.Client, ctx context.Context, url string, ok ...int) (*http.Response, []byte, error) {
	t.Helper()
	req, err := runtime.NewRequest(ctx, http.MethodGet, url)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(req, "GET /x", ok...)
}

func TestDo(t *testing.T) {
	srv, count := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, "hello")
		case "/busy":
			w.Header().Set("x-ms-request-id", fmt.Sprint("req-", n))
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":"ServerBusy","message":"Try later."}}`)
		default:
			w.Header().Set("x-ms-request-id", "req-404")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"No such thing."}}`)
		}
	})
	c := azhttp.New(options(srv))
	resp, data, err := get(t, c, context.Background(), srv.URL+"/ok", http.StatusOK)
	if err != nil || resp.StatusCode != 200 || string(data) != "hello" {
		t.Fatalf("Do(/ok) = %v, %q, %v", resp, data, err)
	}
	resp, _, err = get(t, c, context.Background(), srv.URL+"/nothing", http.StatusOK)
	var e *azhttp.Error
	if !errors.As(err, &e) || e.Code != "ResourceNotFound" || e.RequestID != "req-404" || resp == nil || resp.StatusCode != 404 {
		t.Errorf("Do(/nothing) = %v, %v; want the 404 answer and its *Error", resp, err)
	}
	before := count()
	_, _, err = get(t, c, context.Background(), srv.URL+"/busy", http.StatusOK)
	if !errors.As(err, &e) || !e.Temporary() || e.Code != "ServerBusy" || e.RequestID != fmt.Sprint("req-", before+3) {
		t.Errorf("Do(/busy) = %v, want the third attempt's 503 ServerBusy", err)
	}
	if n := count() - before; n != 3 {
		t.Errorf("a 503 was sent %d times, want 3 (two retries)", n)
	}
}

// TestTimeLimit: a call the time limit cuts short while the service is
// busy says so and names the last answer ("unavailable"); one that never
// reached the service says "unreachable"; both carry the label.
func TestTimeLimit(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"code":"ServerBusy","message":"Try later."}}`)
	})
	o := options(srv)
	o.Retry = policy.RetryOptions{MaxRetries: 10, RetryDelay: time.Second, MaxRetryDelay: time.Second}
	o.Service = "Azure Resource Manager"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := get(t, azhttp.New(o), ctx, srv.URL+"/busy", http.StatusOK)
	var ue *azhttp.UnavailableError
	want := "Azure Resource Manager is unavailable: GET /x: the time limit ran out after 1 attempts; the last answer was 503 ServerBusy: context deadline exceeded"
	if !errors.As(err, &ue) || !ue.Answered || err.Error() != want {
		t.Errorf("Do = %v\nwant %s", err, want)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	o = azhttp.Options{Retry: policy.RetryOptions{MaxRetries: 10, RetryDelay: time.Second, MaxRetryDelay: time.Second}}
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err = get(t, azhttp.New(o), ctx, closed.URL+"/x", http.StatusOK)
	if !errors.As(err, &ue) || ue.Answered || !strings.HasPrefix(err.Error(), "Azure is unreachable: GET /x: no answer in time after 1 attempts; the last attempt failed: ") {
		t.Errorf("Do to a closed port = %v, want Azure is unreachable: GET /x: no answer in time after 1 attempts; ...", err)
	}
}

// TestLabelAll: with LabelAll every unavailable error names the request;
// without it a transport error stands as it is (it names the URL).
func TestLabelAll(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, all := range []bool{false, true} {
		c := azhttp.New(azhttp.Options{LabelAll: all, Retry: policy.RetryOptions{MaxRetries: -1}})
		_, _, err := get(t, c, context.Background(), closed.URL+"/x", http.StatusOK)
		var ue *azhttp.UnavailableError
		if !errors.As(err, &ue) || ue.Answered {
			t.Fatalf("LabelAll %v: Do to a closed port = %v, want an *UnavailableError", all, err)
		}
		if got := strings.HasPrefix(err.Error(), "Azure is unreachable: GET /x: "); got != all {
			t.Errorf("LabelAll %v: %q labelled = %v", all, err, got)
		}
	}
}

// TestRetryAfter: a 429 with Retry-After is retried after the time it
// asks for, and OnRetry hears of the wait before it.
func TestRetryAfter(t *testing.T) {
	var times []time.Time
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		times = append(times, time.Now())
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, "ok")
	})
	o := options(srv)
	o.Retry.MaxRetryDelay = 2 * time.Second // azcore gives up on a longer Retry-After
	var notes []azhttp.RetryInfo
	o.OnRetry = func(r azhttp.RetryInfo) { notes = append(notes, r) }
	if _, _, err := get(t, azhttp.New(o), context.Background(), srv.URL+"/x", http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if len(times) != 2 || times[1].Sub(times[0]) < 900*time.Millisecond {
		t.Errorf("%d requests, %v apart; want 2, 1 s apart (Retry-After: 1)", len(times), times[len(times)-1].Sub(times[0]))
	}
	want := azhttp.RetryInfo{Attempt: 1, Of: 3, Answer: "429", Wait: time.Second, RetryAfter: true}
	if len(notes) != 1 || notes[0] != want {
		t.Errorf("OnRetry heard %+v, want [%+v]", notes, want)
	}
	if s := notes[0].String(); s != "retrying in 1s (Retry-After) after 429 (attempt 1 of 3 failed)" {
		t.Errorf("RetryInfo.String() = %q", s)
	}
}

func TestRetryOptions(t *testing.T) {
	d := policy.RetryOptions{MaxRetries: 4, RetryDelay: time.Second, MaxRetryDelay: 8 * time.Second, StatusCodes: []int{503}}
	got := azhttp.RetryOptions(d, 0, 0, 0)
	if got.MaxRetries != 4 || got.RetryDelay != time.Second || got.MaxRetryDelay != 8*time.Second || len(got.StatusCodes) != 1 {
		t.Errorf("RetryOptions(d, 0, 0, 0) = %+v, want the defaults", got)
	}
	got = azhttp.RetryOptions(d, -1, time.Millisecond, time.Minute)
	if got.MaxRetries != -1 || got.RetryDelay != time.Millisecond || got.MaxRetryDelay != time.Minute {
		t.Errorf("RetryOptions(d, -1, 1ms, 1m) = %+v", got)
	}
}

// TestTooLarge: an answer over MaxAnswerSize fails while it is read, is
// not asked for again, and says so, with and without the trace.
func TestTooLarge(t *testing.T) {
	srv, count := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Write(bytes.Repeat([]byte("x"), 3<<20)) // no Content-Length: chunked
	})
	for _, trace := range []bool{false, true} {
		o := options(srv)
		o.MaxAnswerSize = 1 << 20
		if trace {
			o.Trace = io.Discard
		}
		before := count()
		_, _, err := get(t, azhttp.New(o), context.Background(), srv.URL+"/x", http.StatusOK)
		var tl *azhttp.TooLargeError
		if !errors.As(err, &tl) || !strings.HasPrefix(err.Error(), "Azure's answer cannot be used: ") {
			t.Errorf("trace %v: Do = %v, want Azure's answer cannot be used: ...", trace, err)
		}
		if n := count() - before; n != 1 {
			t.Errorf("trace %v: %d requests, want 1", trace, n)
		}
	}
}

type failingCredential struct{}

func (failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("EnvironmentCredential: missing AZURE_TENANT_ID")
}

type token string

func (t token) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestNewARM(t *testing.T) {
	var auth string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		auth = r.Header.Get("Authorization")
		fmt.Fprint(w, "{}")
	})
	o := options(srv)
	c, err := azhttp.NewARM(o, token("tok-1"), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, c, context.Background(), srv.URL+"/subscriptions", http.StatusOK); err != nil || auth != "Bearer tok-1" {
		t.Errorf("Do = %v with Authorization %q, want Bearer tok-1", err, auth)
	}
	c, err = azhttp.NewARM(o, failingCredential{}, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = get(t, c, context.Background(), srv.URL+"/subscriptions", http.StatusOK)
	var ce *azhttp.CredentialError
	if !errors.As(err, &ce) || err.Error() != "EnvironmentCredential: missing AZURE_TENANT_ID" {
		t.Errorf("Do with a failing credential = %v, want the *CredentialError", err)
	}
	if _, err := azhttp.NewARM(o, nil, srv.URL); err == nil {
		t.Error("NewARM without a credential succeeded")
	}
}

func TestARMAudience(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://management.azure.com":        "https://management.core.windows.net/",
		"https://management.azure.com/":       "https://management.core.windows.net/",
		"https://management.chinacloudapi.cn": "https://management.core.chinacloudapi.cn/",
		"https://127.0.0.1:8443":              "https://127.0.0.1:8443",
	} {
		if got := azhttp.ARMAudience(endpoint); got != want {
			t.Errorf("ARMAudience(%q) = %q, want %q", endpoint, got, want)
		}
	}
}

// TestSetBodyRedirect: a 307 gets the whole body again.
func TestSetBodyRedirect(t *testing.T) {
	var bodies []string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if r.URL.Path == "/first" {
			http.Redirect(w, r, "/second", http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	req, err := runtime.NewRequest(context.Background(), http.MethodPost, srv.URL+"/first")
	if err != nil {
		t.Fatal(err)
	}
	if err := azhttp.SetBody(req, []byte("<x>payload</x>"), "application/xml"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := azhttp.New(options(srv)).Do(req, "POST /first", http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != "<x>payload</x>" || bodies[1] != bodies[0] {
		t.Errorf("bodies = %q, want the payload twice", bodies)
	}
}

func TestCloudEndpoint(t *testing.T) {
	m := map[string]string{"public": "https://p", "china": "https://c"}
	if u, err := azhttp.CloudEndpoint(m, "China"); err != nil || u != "https://c" {
		t.Errorf("CloudEndpoint(China) = %q, %v", u, err)
	}
	if _, err := azhttp.CloudEndpoint(m, "mars"); err == nil || err.Error() != `unknown cloud "mars" (choose public, china or usgov)` {
		t.Errorf("CloudEndpoint(mars) = %v", err)
	}
}

func TestValidSubscription(t *testing.T) {
	for s, want := range map[string]bool{"8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36": true, "8F3E2A41-6C1D-4B7A-9E55-0C2D7F1A9B36": true,
		"8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b3": false, "contoso": false, "": false, "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36\n": false} {
		if got := azhttp.ValidSubscription(s); got != want {
			t.Errorf("ValidSubscription(%q) = %v, want %v", s, got, want)
		}
	}
}

// countingToken counts the tokens asked for and the options of the last.
type countingToken struct {
	mu   sync.Mutex
	n    int
	last policy.TokenRequestOptions
}

func (c *countingToken) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.last = o
	return azcore.AccessToken{Token: fmt.Sprint("tok-", c.n), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestNewBearer: the handler decides what each try carries; a 401 with a
// challenge goes to OnChallenge and the request is sent again, both tries
// traced with the token REDACTED; a token failure is a *CredentialError,
// and so is a handler's error that is one.
func TestNewBearer(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv, count := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "{}")
	})
	cred := &countingToken{}
	challenged := false
	handler := policy.AuthorizationHandler{
		OnRequest: func(req *policy.Request, authNZ func(policy.TokenRequestOptions) error) error {
			if !challenged {
				return nil // no token before the challenge
			}
			return authNZ(policy.TokenRequestOptions{Scopes: []string{"https://example/.default"}})
		},
		OnChallenge: func(req *policy.Request, res *http.Response, authNZ func(policy.TokenRequestOptions) error) error {
			challenged = true
			return authNZ(policy.TokenRequestOptions{Scopes: []string{"https://example/.default"}, TenantID: "t1"})
		},
	}
	var trace bytes.Buffer
	o := options(srv)
	o.Trace, o.TraceHeaders = &trace, []string{"Www-Authenticate"}
	c, err := azhttp.NewBearer(o, cred, nil, handler)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := get(t, c, context.Background(), srv.URL+"/x", http.StatusOK); err != nil {
			t.Fatalf("Do #%d = %v", i, err)
		}
	}
	if count() != 4 || cred.n != 1 || cred.last.TenantID != "t1" {
		t.Errorf("3 calls made %d requests and %d tokens (tenant %q), want 4 requests (one challenged) and 1 token for t1", count(), cred.n, cred.last.TenantID)
	}
	if auths[0] != "" || auths[1] != "Bearer tok-1" {
		t.Errorf("Authorization of the first two requests = %q, want none, then Bearer tok-1", auths[:2])
	}
	tr := trace.String()
	if !strings.Contains(tr, "< 401 Unauthorized") || !strings.Contains(tr, `Www-Authenticate: Bearer realm="test"`) ||
		!strings.Contains(tr, "Authorization: REDACTED") || strings.Contains(tr, "tok-1") {
		t.Errorf("the trace must show the challenge and hide the token:\n%s", tr)
	}

	c, err = azhttp.NewBearer(o, failingCredential{}, []string{"https://example/.default"}, policy.AuthorizationHandler{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = get(t, c, context.Background(), srv.URL+"/x", http.StatusOK)
	var ce *azhttp.CredentialError
	if !errors.As(err, &ce) || err.Error() != "EnvironmentCredential: missing AZURE_TENANT_ID" {
		t.Errorf("Do with a failing credential = %v, want the *CredentialError", err)
	}

	refusing := policy.AuthorizationHandler{
		OnRequest: func(*policy.Request, func(policy.TokenRequestOptions) error) error { return nil },
		OnChallenge: func(*policy.Request, *http.Response, func(policy.TokenRequestOptions) error) error {
			return &azhttp.CredentialError{Err: errors.New("the challenge names another domain")}
		},
	}
	c, err = azhttp.NewBearer(o, cred, nil, refusing)
	if err != nil {
		t.Fatal(err)
	}
	before := count()
	_, _, err = get(t, c, context.Background(), srv.URL+"/x", http.StatusOK)
	if !errors.As(err, &ce) || count() != before+1 {
		t.Errorf("Do with a refusing handler = %v after %d requests, want a *CredentialError after 1 (not retried)", err, count()-before)
	}
	if _, err := azhttp.NewBearer(o, nil, nil, handler); err == nil {
		t.Error("NewBearer without a credential succeeded")
	}
}

func TestARMEndpoint(t *testing.T) {
	for _, tt := range []struct{ in, want, wantErr string }{
		{"", "https://management.azure.com", ""},
		{"https://127.0.0.1:8443/", "https://127.0.0.1:8443", ""},
		{"https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn", ""},
		{"http://management.azure.com", "", "is not an https:// URL"},
		{"management.azure.com", "", "is not an https:// URL"},
		{"https://", "", "is not an https:// URL"},
	} {
		got, err := azhttp.ARMEndpoint(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ARMEndpoint(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ARMEndpoint(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestBadPort(t *testing.T) {
	for _, tt := range []struct {
		url string
		bad bool
	}{
		{"https://management.azure.com", false},
		{"https://127.0.0.1:8443", false},
		{"https://[::1]:443/", false},
		{"https://127.0.0.1:65535", false},
		{"https://127.0.0.1:65536", true},
		{"https://127.0.0.1:99999", true},
		{"https://127.0.0.1:0", true},
		{"https://127.0.0.1:", true},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatalf("url.Parse(%q) = %v", tt.url, err)
		}
		if got := azhttp.BadPort(u); got != tt.bad {
			t.Errorf("azhttp.BadPort(%q) = %v, want %v", tt.url, got, tt.bad)
		}
	}
	if _, err := azhttp.ARMEndpoint("https://127.0.0.1:99999"); err == nil || !strings.Contains(err.Error(), "the port is not a number from 1 to 65535") {
		t.Errorf("ARMEndpoint(port 99999) = %v", err)
	}
}
