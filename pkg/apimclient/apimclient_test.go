package apimclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/certgen"
)

const sub = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"

type recorded struct {
	method, path, query, auth, ifMatch string
	body                               []byte
}

// fakeARM is a canned ARM endpoint: handler answers each request.
func fakeARM(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *[]recorded) {
	t.Helper()
	var mu sync.Mutex
	var reqs []recorded
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("If-Match"), body})
		n := len(reqs)
		mu.Unlock()
		w.Header().Set("x-ms-request-id", fmt.Sprintf("req-%d", n))
		handler(w, r, n)
	}))
	t.Cleanup(srv.Close)
	return srv, &reqs
}

func newClient(t *testing.T, srv *httptest.Server, cred azcore.TokenCredential, trace io.Writer) *apimclient.Client {
	t.Helper()
	c, err := apimclient.New(apimclient.Options{
		Endpoint: srv.URL, Credential: cred, Transport: srv.Client(),
		Subscription: sub, ResourceGroup: "rg-api", Service: "contoso-apim",
		RetryDelay: time.Millisecond, Trace: trace,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func contractJSON(id, thumb string) string {
	return fmt.Sprintf(`{"id":"/subscriptions/%s/resourceGroups/rg-api/providers/Microsoft.ApiManagement/service/contoso-apim/certificates/%s","type":"Microsoft.ApiManagement/service/certificates","name":"%s","properties":{"subject":"CN=contoso.net","thumbprint":"%s","expirationDate":"2027-11-23T16:10:14Z"}}`, sub, id, id, thumb)
}

func TestCreateOrUpdate(t *testing.T) {
	srv, reqs := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, contractJSON("contoso-net-0A1B2C3D", "abcdef0123456789abcdef0123456789abcdef01"))
	})
	var trace bytes.Buffer
	c := newClient(t, srv, apimclient.StaticToken("tok-123"), &trace)
	cert, err := c.CreateOrUpdate(context.Background(), "contoso-net-0A1B2C3D", []byte("PFXBYTES"), "s3cret-pw", "")
	if err != nil {
		t.Fatal(err)
	}
	if cert.ID != "contoso-net-0A1B2C3D" || cert.Thumbprint != "ABCDEF0123456789ABCDEF0123456789ABCDEF01" || cert.ETag != `"v1"` ||
		!cert.ExpirationDate.Equal(time.Date(2027, 11, 23, 16, 10, 14, 0, time.UTC)) {
		t.Errorf("CreateOrUpdate = %+v", cert)
	}
	r := (*reqs)[0]
	if r.method != http.MethodPut || r.path != "/subscriptions/"+sub+"/resourceGroups/rg-api/providers/Microsoft.ApiManagement/service/contoso-apim/certificates/contoso-net-0A1B2C3D" {
		t.Errorf("request = %s %s", r.method, r.path)
	}
	if r.query != "api-version="+apimclient.APIVersion || r.auth != "Bearer tok-123" || r.ifMatch != "" {
		t.Errorf("query %q auth %q if-match %q", r.query, r.auth, r.ifMatch)
	}
	var body struct {
		Properties struct{ Data, Password string }
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Properties.Data != "UEZYQllURVM=" || body.Properties.Password != "s3cret-pw" {
		t.Errorf("body = %s (%v)", r.body, err)
	}
	if strings.Contains(trace.String(), "s3cret-pw") || strings.Contains(trace.String(), "UEZYQllURVM=") || strings.Contains(trace.String(), "tok-123") {
		t.Errorf("the trace leaks the password, the .pfx or the token:\n%s", trace.String())
	}
	if !strings.Contains(trace.String(), `"password":"REDACTED"`) {
		t.Errorf("the trace lacks the redacted body:\n%s", trace.String())
	}
	if _, err := c.CreateOrUpdate(context.Background(), "9starts-with-digit", nil, "", ""); err == nil {
		t.Error("an invalid id was sent")
	}
}

func TestListFollowsNextLink(t *testing.T) {
	var srvURL string
	srv, reqs := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("$skip") {
		case "":
			fmt.Fprintf(w, `{"value":[%s,%s],"nextLink":"%s%s?api-version=%s&$skip=2"}`,
				contractJSON("a", strings.Repeat("A", 40)), contractJSON("b", strings.Repeat("B", 40)), srvURL, r.URL.Path, apimclient.APIVersion)
		case "2":
			fmt.Fprintf(w, `{"value":[%s]}`, contractJSON("c", strings.Repeat("C", 40)))
		default:
			http.Error(w, "unexpected", 500)
		}
	})
	srvURL = srv.URL
	certs, err := newClient(t, srv, apimclient.StaticToken("t"), nil).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range certs {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "a,b,c" || len(*reqs) != 2 {
		t.Errorf("List = %v in %d requests, want a,b,c in 2", ids, len(*reqs))
	}
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	srv, reqs := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded."}}`)
			return
		}
		fmt.Fprint(w, contractJSON("a", strings.Repeat("A", 40)))
	})
	start := time.Now()
	if _, err := newClient(t, srv, apimclient.StaticToken("t"), nil).Get(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if len(*reqs) != 2 {
		t.Errorf("%d requests, want 2", len(*reqs))
	}
	// The configured back-off is 1 ms; waiting about a second shows Retry-After was used.
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v, want about the 1 s Retry-After", waited)
	}
}

func TestErrors(t *testing.T) {
	srv, _ := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("x-ms-correlation-request-id", "corr-1")
		switch r.Method {
		case http.MethodGet:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"Certificate not found."}}`)
		case http.MethodDelete:
			if r.Header.Get("If-Match") != "*" {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"error":{"code":"CertificateInUse","message":"Certificate 'a' is referenced by backend 'b1'."}}`)
		}
	})
	c := newClient(t, srv, apimclient.StaticToken("t"), nil)
	_, err := c.Get(context.Background(), "a")
	var e *apimclient.Error
	if !apimclient.IsNotFound(err) || !errors.As(err, &e) || e.Code != "ResourceNotFound" || e.RequestID == "" || e.CorrelationID != "corr-1" {
		t.Errorf("Get of a missing id: %v", err)
	}
	_, err = c.Delete(context.Background(), "a", "")
	if !errors.As(err, &e) || e.StatusCode != 409 || e.Code != "CertificateInUse" || !strings.Contains(e.Error(), "backend 'b1'") {
		t.Errorf("Delete of a used certificate: %v", err)
	}
}

type failingCred struct{}

func (failingCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("DefaultAzureCredential: failed to acquire a token.\n\tAzureCLICredential: Azure CLI not found on path")
}

func TestCredentialErrorIsTyped(t *testing.T) {
	srv, reqs := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	_, err := newClient(t, srv, failingCred{}, nil).List(context.Background())
	var ce *apimclient.CredentialError
	if !errors.As(err, &ce) || !strings.Contains(ce.Error(), "AzureCLICredential") {
		t.Errorf("List with a failing credential: %v (%T), want *CredentialError", err, err)
	}
	if len(*reqs) != 0 {
		t.Errorf("%d requests sent without a token", len(*reqs))
	}
}

func TestDefaultID(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"contoso.net", "*.api.contoso.net", "9lives.example", "bücher.de"} {
		n, err := certgen.ParseNames([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		res, err := certgen.Sign(certgen.Request{Names: n}, key)
		if err != nil {
			t.Fatal(err)
		}
		id := apimclient.DefaultID(res.Cert)
		if !apimclient.ValidID(id) {
			t.Errorf("DefaultID(%s) = %q, not a valid id", name, id)
		}
		tp := fmt.Sprintf("%X", thumb(res.Cert))
		if !strings.HasSuffix(id, "-"+tp[len(tp)-8:]) {
			t.Errorf("DefaultID(%s) = %q, want it to end with the last 8 thumbprint characters %s", name, id, tp[len(tp)-8:])
		}
	}
	if got := apimclient.DefaultID(mustCert(t, key, "contoso.net")); !strings.HasPrefix(got, "contoso-net-") {
		t.Errorf("DefaultID(contoso.net) = %q", got)
	}
	for id, want := range map[string]bool{"a": true, "a-1": true, "1a": false, "a-": false, "": false, strings.Repeat("a", 80): true, strings.Repeat("a", 81): false, "a_b": false} {
		if apimclient.ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, !want, want)
		}
	}
}

func mustCert(t *testing.T, key *rsa.PrivateKey, name string) *x509.Certificate {
	t.Helper()
	n, _ := certgen.ParseNames([]string{name})
	res, err := certgen.Sign(certgen.Request{Names: n}, key)
	if err != nil {
		t.Fatal(err)
	}
	return res.Cert
}

func thumb(c *x509.Certificate) []byte {
	s := sha1.Sum(c.Raw)
	return s[:]
}

// TestAnswerTooLarge: an answer larger than MaxAnswerSize is refused while
// it is read (the server streams 64 MiB without announcing a length) and
// is not asked for again.
func TestAnswerTooLarge(t *testing.T) {
	srv, reqs := fakeARM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	_, err := newClient(t, srv, apimclient.StaticToken("t"), nil).List(context.Background())
	var ue *apimclient.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("List of a 64 MiB answer = %v, want an *UnavailableError saying it is too large", err)
	}
	if len(*reqs) != 1 {
		t.Errorf("%d requests, want 1: a too large answer is not asked for again", len(*reqs))
	}
}
