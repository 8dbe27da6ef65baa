package entra_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/entra"
)

const tokenTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// tokenServer answers the token endpoint with what answer says, after
// recording the request.
type tokenServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	forms  []url.Values
	answer func(n int, w http.ResponseWriter)
}

func newTokenServer(t *testing.T, answer func(n int, w http.ResponseWriter)) *tokenServer {
	t.Helper()
	s := &tokenServer{answer: answer}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.forms = append(s.forms, form)
		n := len(s.reqs)
		s.mu.Unlock()
		w.Header().Set("x-ms-request-id", fmt.Sprintf("req-%d", n))
		s.answer(n, w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func okToken(_ int, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOi.ACCESS-TOKEN-secret.sig"}`)
}

func (s *tokenServer) options(t *testing.T) entra.SignInOptions {
	key := rsaKey(t, 2048)
	return entra.SignInOptions{Authority: s.srv.URL, Tenant: tokenTenant, ClientID: clientID, Key: key, Cert: selfSigned(t, key),
		Transport: s.srv.Client(), RetryDelay: time.Millisecond, Now: func() time.Time { return fixedNow }}
}

// TestSignInRequest: the request is exactly what the identity platform's
// client credentials flow with a certificate expects: a form POST to
// /{tenant}/oauth2/v2.0/token with client_id, scope, grant_type,
// client_assertion_type and client_assertion, and nothing else; the
// assertion verifies (golang-jwt) with the certificate's key, with aud the
// token endpoint and iss = sub = client_id.
func TestSignInRequest(t *testing.T) {
	s := newTokenServer(t, okToken)
	o := s.options(t)
	tok, err := entra.SignIn(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(s.reqs))
	}
	r, form := s.reqs[0], s.forms[0]
	if r.Method != http.MethodPost || r.URL.Path != "/"+tokenTenant+"/oauth2/v2.0/token" || r.URL.RawQuery != "" {
		t.Errorf("request %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("the token request carries an Authorization header")
	}
	var fields []string
	for k, v := range form {
		if len(v) != 1 {
			t.Errorf("form field %s given %d times", k, len(v))
		}
		fields = append(fields, k)
	}
	sort.Strings(fields)
	if got := strings.Join(fields, " "); got != "client_assertion client_assertion_type client_id grant_type scope" {
		t.Errorf("form fields %s", got)
	}
	want := map[string]string{"client_id": clientID, "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials",
		"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, form.Get(k), v)
		}
	}
	aud := s.srv.URL + "/" + tokenTenant + "/oauth2/v2.0/token"
	h, c, err := verify(t, form.Get("client_assertion"), o.Cert, fixedNow.Add(time.Minute),
		jwt.WithAudience(aud), jwt.WithIssuer(clientID), jwt.WithSubject(clientID), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("the client assertion does not verify: %v", err)
	}
	s1, s256 := sha1.Sum(o.Cert.Raw), sha256.Sum256(o.Cert.Raw)
	if h["alg"] != "RS256" || h["x5t"] != b64(s1[:]) || h["x5t#S256"] != b64(s256[:]) {
		t.Errorf("assertion header %v", h)
	}
	if jti, _ := c["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	if tok.Type != "Bearer" || tok.AccessToken != "eyJ0eXAiOi.ACCESS-TOKEN-secret.sig" || tok.Scope != want["scope"] ||
		!tok.ExpiresOn.Equal(fixedNow.Add(3599*time.Second)) || !tok.ExtExpiresOn.Equal(fixedNow.Add(3599*time.Second)) {
		t.Errorf("token %+v", tok)
	}
	if strings.Contains(tok.String(), tok.AccessToken) {
		t.Errorf("String() shows the token: %s", tok)
	}
	if at, err := tok.GetToken(context.Background(), azPolicyOptions()); err == nil {
		t.Errorf("GetToken of a token that expired in 2026 = %v", at)
	}
}

// TestSignInScopeAndCloud: another scope and authority go into the
// request and the assertion's audience.
func TestSignInScopeAndCloud(t *testing.T) {
	s := newTokenServer(t, okToken)
	o := s.options(t)
	o.Scope = "https://graph.microsoft.us/.default"
	o.Tenant = "contoso.onmicrosoft.us"
	o.Now = nil
	tok, err := entra.SignIn(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.forms[0].Get("scope") != o.Scope || tok.Scope != o.Scope {
		t.Errorf("scope %q / %q", s.forms[0].Get("scope"), tok.Scope)
	}
	if _, _, err := verify(t, s.forms[0].Get("client_assertion"), o.Cert, time.Now(), jwt.WithAudience(s.srv.URL+"/contoso.onmicrosoft.us/oauth2/v2.0/token")); err != nil {
		t.Error(err)
	}
	if at, err := tok.GetToken(context.Background(), azPolicyOptions()); err != nil || at.Token != tok.AccessToken {
		t.Errorf("GetToken = %v, %v", at, err)
	}
}

// TestSignInErrors: the identity platform's refusals become *TokenError
// with the AADSTS code, one line, a hint, and the *azhttp.Error beneath.
func TestSignInErrors(t *testing.T) {
	tests := []struct {
		status int
		err    string
		code   int
		hint   string
	}{
		{400, "unauthorized_client", 700016, "no application with this client id"},
		{400, "invalid_request", 90002, "no such tenant"},
		{401, "invalid_client", 700027, "register the .cer"},
		{400, "invalid_client", 700024, "clock"},
		{401, "invalid_client", 7000215, "client secret"},
		{400, "invalid_scope", 1002012, "/.default"},
		{400, "invalid_scope", 70011, "/.default"},
		{400, "invalid_request", 50027, "valid JWT"},
		{400, "invalid_request", 12345, ""},
	}
	for _, tt := range tests {
		desc := fmt.Sprintf("AADSTS%d: Something went wrong.\r\nTrace ID: 0b6b...\r\nCorrelation ID: 5d7c...\r\nTimestamp: 2026-12-07 05:00:00Z", tt.code)
		s := newTokenServer(t, func(_ int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(tt.status)
			_, _ = fmt.Fprintf(w, `{"error":%q,"error_description":%q,"error_codes":[%d],"timestamp":"2026-12-07 05:00:00Z","trace_id":"0b6b1f44-0000-0000-0000-000000000000","correlation_id":"5d7c0000-0000-0000-0000-000000000000","error_uri":"https://login.microsoftonline.com/error?code=%d"}`, tt.err, desc, tt.code, tt.code)
		})
		_, err := entra.SignIn(context.Background(), s.options(t))
		var te *entra.TokenError
		if !errors.As(err, &te) {
			t.Fatalf("AADSTS%d: %T %v, want *TokenError", tt.code, err, err)
		}
		if te.Status != tt.status || te.Code != tt.err || len(te.AADSTS) != 1 || te.AADSTS[0] != tt.code ||
			te.TraceID == "" || te.CorrelationID == "" || !te.Has(tt.code) {
			t.Errorf("AADSTS%d: %+v", tt.code, te)
		}
		if want := fmt.Sprintf("AADSTS%d: Something went wrong.", tt.code); err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
		if h := te.Hint(); (tt.hint == "") != (h == "") || !strings.Contains(h, tt.hint) {
			t.Errorf("AADSTS%d: Hint() = %q, want one with %q", tt.code, h, tt.hint)
		}
		var he *azhttp.Error
		if !errors.As(err, &he) || he.StatusCode != tt.status || he.Code != tt.err || he.RequestID != "req-1" {
			t.Errorf("AADSTS%d: the *azhttp.Error beneath is %+v", tt.code, he)
		}
		if len(s.reqs) != 1 {
			t.Errorf("AADSTS%d: %d requests; a refusal is not retried", tt.code, len(s.reqs))
		}
	}
}

// TestSignInRetries: a 503 and a 429 are retried (Retry-After honoured),
// with a note each; the third answer is the token.
func TestSignInRetries(t *testing.T) {
	s := newTokenServer(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":"temporarily_unavailable","error_description":"AADSTS50196: loop detected"}`)
		default:
			okToken(n, w)
		}
	})
	var notes []entra.RetryInfo
	o := s.options(t)
	o.OnRetry = func(r entra.RetryInfo) { notes = append(notes, r) }
	if _, err := entra.SignIn(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if len(s.reqs) != 3 || len(notes) != 2 {
		t.Errorf("%d requests and %d retry notes, want 3 and 2", len(s.reqs), len(notes))
	}
	o.MaxRetries = -1
	s2 := newTokenServer(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
	o.Authority, o.Transport = s2.srv.URL, s2.srv.Client()
	_, err := entra.SignIn(context.Background(), o)
	var he *azhttp.Error
	if !errors.As(err, &he) || he.StatusCode != 502 || len(s2.reqs) != 1 {
		t.Errorf("502 without retries: %v after %d requests", err, len(s2.reqs))
	}
}

// TestSignInTrace: the trace shows the exchange, never the assertion or
// the access token.
func TestSignInTrace(t *testing.T) {
	s := newTokenServer(t, okToken)
	var trace bytes.Buffer
	o := s.options(t)
	o.Trace = &trace
	if _, err := entra.SignIn(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	assertion := s.forms[0].Get("client_assertion")
	out := trace.String()
	for _, secret := range []string{assertion[:30], assertion[len(assertion)-30:], "ACCESS-TOKEN-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("the trace shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"client_assertion=REDACTED", `"access_token":"REDACTED"`, "client_id=" + clientID, "X-Ms-Request-Id: req-1", "< 200 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q:\n%s", want, out)
		}
	}
}

func TestSignInRefusals(t *testing.T) {
	s := newTokenServer(t, okToken)
	for name, mod := range map[string]func(*entra.SignInOptions){
		"no tenant":    func(o *entra.SignInOptions) { o.Tenant = "" },
		"no client id": func(o *entra.SignInOptions) { o.ClientID = "" },
		"no key":       func(o *entra.SignInOptions) { o.Key = nil },
		"small key":    func(o *entra.SignInOptions) { o.Key = rsaKey(t, 1024) },
		"http":         func(o *entra.SignInOptions) { o.Authority = "http://login.microsoftonline.com" },
	} {
		o := s.options(t)
		mod(&o)
		if _, err := entra.SignIn(context.Background(), o); err == nil {
			t.Errorf("%s: SignIn succeeded", name)
		}
	}
	if len(s.reqs) != 0 {
		t.Errorf("%d requests sent for refused options", len(s.reqs))
	}
}

func TestParseTokenAnswers(t *testing.T) {
	for _, body := range []string{
		`{"token_type":"Bearer","expires_in":"3599","access_token":"a"}`, // v1.0 writes strings
		`{"token_type":"bearer","expires_in":60,"access_token":"a"}`,
	} {
		s := newTokenServer(t, func(_ int, w http.ResponseWriter) { _, _ = io.WriteString(w, body) })
		if _, err := entra.SignIn(context.Background(), s.options(t)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{`{"token_type":"pop","expires_in":1,"access_token":"a"}`, `{"token_type":"Bearer","expires_in":1}`,
		`{"token_type":"Bearer","access_token":"a"}`, `{"token_type":"Bearer","expires_in":-5,"access_token":"a"}`, `<html>`} {
		s := newTokenServer(t, func(_ int, w http.ResponseWriter) { _, _ = io.WriteString(w, body) })
		if _, err := entra.SignIn(context.Background(), s.options(t)); err == nil {
			t.Errorf("%s accepted", body)
		}
	}
	if code, msg, ok := entra.ParseError([]byte(`{"error":"invalid_client","error_description":"AADSTS700027: bad.\r\nTrace ID: x"}`)); !ok || code != "invalid_client" || msg != "AADSTS700027: bad." {
		t.Errorf("ParseError = %q, %q, %v", code, msg, ok)
	}
	if _, _, ok := entra.ParseError([]byte(`{"error":{"code":"x"}}`)); ok {
		t.Error("ParseError read Graph's shape")
	}
}
