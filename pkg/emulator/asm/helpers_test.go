package asm_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// fixedNow is the time every test certificate is made at, and where fake
// clocks start.
var fixedNow = time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)

// fixture holds a key and certificates made once per test binary: RSA key
// generation is the slow part (up to seconds on a loaded machine), so every
// certificate shares the one key; their thumbprints still differ.
type fixture struct {
	key *rsa.PrivateKey
	// admin is the management certificate the tests register up front.
	admin *certgen.Result
	// certs are further management certificates, all with key.
	certs []*certgen.Result
	// site is a service certificate.
	site *certgen.Result
	// ecCert is a certificate with an ECDSA key.
	ecCert *x509.Certificate
	ecKey  *ecdsa.PrivateKey
}

var loadFixture = sync.OnceValues(func() (*fixture, error) {
	var f fixture
	var err error
	if f.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	sign := func(key *rsa.PrivateKey, purpose certgen.Purpose, name string) (*certgen.Result, error) {
		n, err := certgen.ParseNames([]string{name})
		if err != nil {
			return nil, err
		}
		return certgen.Sign(certgen.Request{Names: n, Purpose: purpose, Now: fixedNow}, key)
	}
	if f.admin, err = sign(f.key, certgen.PurposeManagement, "admin.contoso.net"); err != nil {
		return nil, err
	}
	for i := range 6 {
		c, err := sign(f.key, certgen.PurposeManagement, fmt.Sprintf("mgmt%d.contoso.net", i))
		if err != nil {
			return nil, err
		}
		f.certs = append(f.certs, c)
	}
	if f.site, err = sign(f.key, certgen.PurposeService, "www.contoso.net"); err != nil {
		return nil, err
	}
	if f.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ec.contoso.net"},
		NotBefore: fixedNow, NotAfter: fixedNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.ecKey.PublicKey, f.ecKey)
	if err != nil {
		return nil, err
	}
	if f.ecCert, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	return &f, nil
})

func testFixture(t testing.TB) *fixture {
	t.Helper()
	f, err := loadFixture()
	if err != nil {
		t.Fatalf("generating test certificates: %v", err)
	}
	return f
}

func tlsCert(r *certgen.Result) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{r.DER}, PrivateKey: r.Key, Leaf: r.Cert}
}

func thumb(der []byte) string {
	return export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// clock is a fake clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: fixedNow} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newServer starts a server that trusts the fixture's admin certificate
// and has a hosted service "web", with a fake clock; edit adjusts the
// configuration.
func newServer(t *testing.T, edit func(*azure.Config)) (*azure.Emulator, *clock) {
	t.Helper()
	f := testFixture(t)
	clk := newClock()
	cfg := azure.Config{Trust: []*x509.Certificate{f.admin.Cert}, Services: []string{"web"}, Now: clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	return emulatortest.NewServer(t, cfg), clk
}

// client is a plain *http.Client that presents cert and trusts srv. It does
// not follow redirects, so tests see them.
func client(t *testing.T, srv *azure.Emulator, cert *certgen.Result) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(tlsCert(cert))}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// Versions for call.
const (
	version   = mgmtclient.APIVersion
	noVersion = ""
)

// call sends a request with x-ms-version v (none when v is "") and fails
// the test on a transport error.
func call(t *testing.T, c *http.Client, method, url string, body []byte, v string) response {
	t.Helper()
	resp, err := send(context.Background(), c, method, url, body, v)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return *resp
}

func send(ctx context.Context, c *http.Client, method, url string, body []byte, v string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if v != "" {
		req.Header.Set("x-ms-version", v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/xml")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	data, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := xml.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %T from %q: %v", v, r.body, err)
	}
	return v
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// wantStatus checks the status and the x-ms-request-id header.
func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, r.status, status, r.body)
	}
	if id := r.header.Get("x-ms-request-id"); !requestIDPattern.MatchString(id) {
		t.Errorf("%s: x-ms-request-id = %q, want 32 lower-case hex digits", what, id)
	}
}

// wantError checks an error answer: status, request id, XML content type,
// Code and (when message is not "") that Message contains message.
func wantError(t *testing.T, what string, r response, status int, code, message string) mgmtclient.ErrorBody {
	t.Helper()
	wantStatus(t, what, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("%s: Content-Type = %q, want application/xml", what, ct)
	}
	e := decode[mgmtclient.ErrorBody](t, r)
	if e.Code != code {
		t.Errorf("%s: Code = %q, want %q (message %q)", what, e.Code, code, e.Message)
	}
	if !strings.Contains(e.Message, message) {
		t.Errorf("%s: Message = %q, want it to contain %q", what, e.Message, message)
	}
	return e
}

// addBody is a correct Add Management Certificate body for r.
func addBody(r *certgen.Result) mgmtclient.SubscriptionCertificate {
	return mgmtclient.SubscriptionCertificate{
		PublicKey:  b64(x509.MarshalPKCS1PublicKey(&r.Key.PublicKey)),
		Thumbprint: thumb(r.DER),
		Data:       b64(r.DER),
	}
}

func certsURL(srv *azure.Emulator) string { return srv.URL + "/" + srv.Subscription + "/certificates" }

func serviceURL(srv *azure.Emulator, svc string) string {
	return srv.URL + "/" + srv.Subscription + "/services/hostedservices/" + svc + "/certificates"
}

func operationURL(srv *azure.Emulator, id string) string {
	return srv.URL + "/" + srv.Subscription + "/operations/" + id
}

const forbidden = "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription."

// sorted sorts s in place and returns it.
func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

func startServer(t *testing.T, cfg azure.Config) *azure.Emulator {
	t.Helper()
	srv, err := azure.New(cfg)
	if err != nil {
		t.Fatalf("NewUnstartedServer: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return srv
}

// sitePFX is the fixture's site certificate and key as a .pfx.
func sitePFX(t *testing.T, profile export.Profile, password string) []byte {
	t.Helper()
	f := testFixture(t)
	data, err := export.EncodePFX(f.site.Key, f.site.Cert, nil, export.PFXOptions{Profile: profile, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// addService posts a CertificateFile and returns the request id of the
// operation, checking the 202.
func addService(t *testing.T, c *http.Client, srv *azure.Emulator, svc string, file mgmtclient.CertificateFile) string {
	t.Helper()
	r := call(t, c, http.MethodPost, serviceURL(srv, svc), marshal(t, file), version)
	wantStatus(t, "POST service certificate", r, http.StatusAccepted)
	if len(r.body) != 0 {
		t.Errorf("POST service certificate body = %q, want none", r.body)
	}
	return r.header.Get("x-ms-request-id")
}

func poll(t *testing.T, c *http.Client, srv *azure.Emulator, id string) mgmtclient.Operation {
	t.Helper()
	r := call(t, c, http.MethodGet, operationURL(srv, id), nil, version)
	wantStatus(t, "GET operation", r, http.StatusOK)
	return decode[mgmtclient.Operation](t, r)
}

func dashed(id string) string {
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}
