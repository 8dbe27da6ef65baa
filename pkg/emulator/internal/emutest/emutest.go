// Package emutest holds what the tests of the emulator packages share:
// test certificates made once per test binary, a fake clock, emulators
// started for a test, and requests sent to them with their answers checked.
// It is internal to pkg/emulator and used by tests only.
package emutest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// FixedNow is the time every test certificate is made at, and where fake
// clocks start.
var FixedNow = time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)

// Fixture holds a key and certificates made once per test binary: RSA key
// generation is the slow part (up to seconds on a loaded machine), so every
// certificate shares the one key; their thumbprints still differ.
type Fixture struct {
	Key *rsa.PrivateKey
	// Admin is the management certificate the tests register up front.
	Admin *certgen.Result
	// Certs are further management certificates, all with key.
	Certs []*certgen.Result
	// Site is a service certificate.
	Site *certgen.Result
	// ECCert is a certificate with an ECDSA key.
	ECCert *x509.Certificate
	ECKey  *ecdsa.PrivateKey
}

var loadFixture = sync.OnceValues(func() (*Fixture, error) {
	var f Fixture
	var err error
	if f.Key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	sign := func(key *rsa.PrivateKey, purpose certgen.Purpose, name string) (*certgen.Result, error) {
		n, err := certgen.ParseNames([]string{name})
		if err != nil {
			return nil, err
		}
		return certgen.Sign(certgen.Request{Names: n, Purpose: purpose, Now: FixedNow}, key)
	}
	if f.Admin, err = sign(f.Key, certgen.PurposeManagement, "admin.contoso.net"); err != nil {
		return nil, err
	}
	for i := range 6 {
		c, err := sign(f.Key, certgen.PurposeManagement, fmt.Sprintf("mgmt%d.contoso.net", i))
		if err != nil {
			return nil, err
		}
		f.Certs = append(f.Certs, c)
	}
	if f.Site, err = sign(f.Key, certgen.PurposeService, "www.contoso.net"); err != nil {
		return nil, err
	}
	if f.ECKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ec.contoso.net"},
		NotBefore: FixedNow, NotAfter: FixedNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.ECKey.PublicKey, f.ECKey)
	if err != nil {
		return nil, err
	}
	if f.ECCert, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	return &f, nil
})

// Certs returns the fixture, making it on first use; it fails the test
// if it cannot.
func Certs(t testing.TB) *Fixture {
	t.Helper()
	f, err := loadFixture()
	if err != nil {
		t.Fatalf("generating test certificates: %v", err)
	}
	return f
}

// TLSCert is r as a client certificate.
func TLSCert(r *certgen.Result) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{r.DER}, PrivateKey: r.Key, Leaf: r.Cert}
}

// Thumb is the upper-case SHA-1 thumbprint of der, as Azure writes it.
func Thumb(der []byte) string {
	return export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure)
}

// B64 is standard base64 with padding.
func B64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Clock is a fake clock for Config.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at FixedNow.
func NewClock() *Clock { return &Clock{t: FixedNow} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// NewServer starts a server that trusts the fixture's admin certificate
// and has a hosted service "web", with a fake clock; edit adjusts the
// configuration.
func NewServer(t *testing.T, edit func(*azure.Config)) (*azure.Emulator, *Clock) {
	t.Helper()
	f := Certs(t)
	clk := NewClock()
	cfg := azure.Config{Trust: []*x509.Certificate{f.Admin.Cert}, Services: []string{"web"}, Now: clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	return emulatortest.NewServer(t, cfg), clk
}

// Client is a plain *http.Client that presents cert and trusts srv. It does
// not follow redirects, so tests see them.
func Client(t *testing.T, srv *azure.Emulator, cert *certgen.Result) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(TLSCert(cert))}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Response is an answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Versions for call.
const (
	Version   = mgmtclient.APIVersion
	NoVersion = ""
)

// Call sends a request with x-ms-version v (none when v is "") and fails
// the test on a transport error.
func Call(t *testing.T, c *http.Client, method, url string, body []byte, v string) Response {
	t.Helper()
	resp, err := Send(context.Background(), c, method, url, body, v)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return *resp
}

// Send is Call without a test: it returns the transport error.
func Send(ctx context.Context, c *http.Client, method, url string, body []byte, v string) (*Response, error) {
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
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Bearer sends a request of a JSON API (Content-Type application/json
// when there is a body) with "Authorization: Bearer tok" unless tok is
// "", and header as name, value pairs; it fails the test on a transport
// error.
func Bearer(t *testing.T, c *http.Client, method, url string, body []byte, tok string, header ...string) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Marshal encodes v as XML, failing the test if it cannot.
func Marshal(t testing.TB, v any) []byte {
	t.Helper()
	data, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Decode decodes an XML answer into a T, failing the test if it cannot.
func Decode[T any](t *testing.T, r Response) T {
	t.Helper()
	var v T
	if err := xml.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decoding %T from %q: %v", v, r.Body, err)
	}
	return v
}

// RequestIDPattern is the form of a Service Management x-ms-request-id.
var RequestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// WantStatus checks the status and the x-ms-request-id header.
func WantStatus(t *testing.T, what string, r Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, r.Status, status, r.Body)
	}
	if id := r.Header.Get("x-ms-request-id"); !RequestIDPattern.MatchString(id) {
		t.Errorf("%s: x-ms-request-id = %q, want 32 lower-case hex digits", what, id)
	}
}

// WantError checks an error answer: status, request id, XML content type,
// Code and (when message is not "") that Message contains message.
func WantError(t *testing.T, what string, r Response, status int, code, message string) mgmtclient.ErrorBody {
	t.Helper()
	WantStatus(t, what, r, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("%s: Content-Type = %q, want application/xml", what, ct)
	}
	e := Decode[mgmtclient.ErrorBody](t, r)
	if e.Code != code {
		t.Errorf("%s: Code = %q, want %q (message %q)", what, e.Code, code, e.Message)
	}
	if !strings.Contains(e.Message, message) {
		t.Errorf("%s: Message = %q, want it to contain %q", what, e.Message, message)
	}
	return e
}

// AddBody is a correct Add Management Certificate body for r.
func AddBody(r *certgen.Result) mgmtclient.SubscriptionCertificate {
	return mgmtclient.SubscriptionCertificate{
		PublicKey:  B64(x509.MarshalPKCS1PublicKey(&r.Key.PublicKey)),
		Thumbprint: Thumb(r.DER),
		Data:       B64(r.DER),
	}
}

// CertsURL is the management certificates collection of srv.
func CertsURL(srv *azure.Emulator) string { return srv.URL + "/" + srv.Subscription + "/certificates" }

// ServiceURL is the certificates collection of hosted service svc on srv.
func ServiceURL(srv *azure.Emulator, svc string) string {
	return srv.URL + "/" + srv.Subscription + "/services/hostedservices/" + svc + "/certificates"
}

// OperationURL is the status of operation id on srv.
func OperationURL(srv *azure.Emulator, id string) string {
	return srv.URL + "/" + srv.Subscription + "/operations/" + id
}

// Forbidden is the message of a 403 ForbiddenError.
const Forbidden = "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription."

// Sorted sorts s in place and returns it.
func Sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// StartServer starts an emulator of cfg; unlike NewServer the test closes it.
func StartServer(t *testing.T, cfg azure.Config) *azure.Emulator {
	t.Helper()
	srv, err := azure.New(cfg)
	if err != nil {
		t.Fatalf("azure.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return srv
}

// SitePFX is the fixture's site certificate and key as a .pfx.
func SitePFX(t *testing.T, profile export.Profile, password string) []byte {
	t.Helper()
	f := Certs(t)
	data, err := export.EncodePFX(f.Site.Key, f.Site.Cert, nil, export.PFXOptions{Profile: profile, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// AddService posts a CertificateFile and returns the request id of the
// operation, checking the 202.
func AddService(t *testing.T, c *http.Client, srv *azure.Emulator, svc string, file mgmtclient.CertificateFile) string {
	t.Helper()
	r := Call(t, c, http.MethodPost, ServiceURL(srv, svc), Marshal(t, file), Version)
	WantStatus(t, "POST service certificate", r, http.StatusAccepted)
	if len(r.Body) != 0 {
		t.Errorf("POST service certificate body = %q, want none", r.Body)
	}
	return r.Header.Get("x-ms-request-id")
}

// Poll gets the status of operation id once.
func Poll(t *testing.T, c *http.Client, srv *azure.Emulator, id string) mgmtclient.Operation {
	t.Helper()
	r := Call(t, c, http.MethodGet, OperationURL(srv, id), nil, Version)
	WantStatus(t, "GET operation", r, http.StatusOK)
	return Decode[mgmtclient.Operation](t, r)
}

// Dashed writes 32 hex digits as a GUID.
func Dashed(id string) string {
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

// The API Management service the ARM tests use, and azcert's api-version.
const (
	APIMRG      = "rg-api"
	APIMName    = "contoso-apim"
	APIMVersion = "2022-08-01"
)

// ARMContract is API Management's certificate contract, decoded.
type ARMContract struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Properties struct {
		Subject        string          `json:"subject"`
		Thumbprint     string          `json:"thumbprint"`
		ExpirationDate string          `json:"expirationDate"`
		KeyVault       json.RawMessage `json:"keyVault"`
	} `json:"properties"`
}

// ARMList is a list of certificate contracts, decoded.
type ARMList struct {
	Value    []ARMContract `json:"value"`
	Count    int           `json:"count"`
	NextLink string        `json:"nextLink"`
}

// ARMErrorBody is the error of an ARM answer, decoded.
type ARMErrorBody struct {
	Code    string         `json:"code"`
	Target  string         `json:"target"`
	Message string         `json:"message"`
	Details []ARMErrorBody `json:"details"`
}

// ARMError is an ARM error answer, decoded.
type ARMError struct {
	Error ARMErrorBody `json:"error"`
}

// NewARMServer starts a server with the API Management service
// rg-api/contoso-apim; edit adjusts the configuration.
func NewARMServer(t *testing.T, edit func(*azure.Config)) *azure.Emulator {
	t.Helper()
	cfg := azure.Config{APIMServices: []string{APIMRG + "/" + APIMName}}
	if edit != nil {
		edit(&cfg)
	}
	return emulatortest.NewServer(t, cfg)
}

// ARMHTTPClient is a plain *http.Client that trusts srv and has no client
// certificate, as an ARM client is. It does not follow redirects.
func ARMHTTPClient(t *testing.T, srv *azure.Emulator) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CertsPath is the certificates collection of rg/name on srv, without the
// query.
func CertsPath(srv *azure.Emulator, rg, name string) string {
	return srv.URL + "/subscriptions/" + srv.Subscription + "/resourceGroups/" + rg +
		"/providers/Microsoft.ApiManagement/service/" + name + "/certificates"
}

// APIMURL is the URL of certificate id ("" for the collection) of the test
// service, with azcert's api-version.
func APIMURL(srv *azure.Emulator, id string) string {
	u := CertsPath(srv, APIMRG, APIMName)
	if id != "" {
		u += "/" + id
	}
	return u + "?api-version=" + APIMVersion
}

// ARMCall sends an ARM request with the server's token and the given extra
// headers ("Authorization" replaces the token; "" removes a header).
func ARMCall(t *testing.T, c *http.Client, srv *azure.Emulator, method, u string, body []byte, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.APIM.Token())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// GUIDPattern is the form of ARM request ids.
var GUIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// WantARM checks the status and the request id headers of an ARM answer,
// and the JSON content type when it has a body.
func WantARM(t *testing.T, what string, r Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, r.Status, status, r.Body)
	}
	for _, h := range []string{"x-ms-request-id", "x-ms-correlation-request-id"} {
		if id := r.Header.Get(h); !GUIDPattern.MatchString(id) {
			t.Errorf("%s: %s = %q, want a GUID", what, h, id)
		}
	}
	if len(r.Body) != 0 {
		if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q, want application/json; charset=utf-8", what, ct)
		}
	}
}

// WantARMError checks an ARM error answer: status, headers, code and (when
// message is not "") that the message contains message.
func WantARMError(t *testing.T, what string, r Response, status int, code, message string) ARMErrorBody {
	t.Helper()
	WantARM(t, what, r, status)
	e := DecodeJSON[ARMError](t, r)
	if e.Error.Code != code {
		t.Errorf("%s: code = %q, want %q (message %q)", what, e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" || !strings.Contains(e.Error.Message, message) {
		t.Errorf("%s: message = %q, want it to contain %q", what, e.Error.Message, message)
	}
	return e.Error
}

// DecodeJSON decodes a JSON answer into a T, failing the test if it cannot.
func DecodeJSON[T any](t *testing.T, r Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decoding %T from %q: %v", v, r.Body, err)
	}
	return v
}

// PFXOf encodes a fixture certificate and its key as a .pfx.
func PFXOf(t *testing.T, c *certgen.Result, profile export.Profile, password string) []byte {
	t.Helper()
	data, err := export.EncodePFX(c.Key, c.Cert, nil, export.PFXOptions{Profile: profile, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// PutBody is a Create Or Update body.
func PutBody(t *testing.T, pfx []byte, password string) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{"properties": map[string]any{"data": base64.StdEncoding.EncodeToString(pfx), "password": password}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SHA1Upper is the thumbprint computed here, independently of package
// export.
func SHA1Upper(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// PutCert creates certificate id from a fixture certificate and returns
// its ETag.
func PutCert(t *testing.T, c *http.Client, srv *azure.Emulator, id string, cert *certgen.Result) string {
	t.Helper()
	r := ARMCall(t, c, srv, http.MethodPut, APIMURL(srv, id), PutBody(t, PFXOf(t, cert, export.ProfileCompat, "pw"), "pw"))
	WantARM(t, "PUT "+id, r, http.StatusCreated)
	return r.Header.Get("ETag")
}
