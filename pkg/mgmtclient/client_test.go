package mgmtclient_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
)

// testCert makes a certificate for name with one of a few keys made once
// per test binary (RSA generation is slow).
func testCert(t testing.TB, name string, i int) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(nil, 2048)
			if err != nil {
				panic(err)
			}
			keys = append(keys, k)
		}
	})
	names, err := certgen.ParseNames([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	res, err := certgen.Sign(certgen.Request{Names: names, Purpose: certgen.PurposeManagement}, keys[i])
	if err != nil {
		t.Fatal(err)
	}
	return res.Cert, keys[i]
}

func tlsCert(c *x509.Certificate, k *rsa.PrivateKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}
}

// newClient connects a client with the given certificate to srv, with
// short retry delays.
func newClient(t *testing.T, srv *azure.Emulator, auth tls.Certificate, trace *bytes.Buffer) *mgmtclient.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: mgmtclient.TLSConfig(auth, srv.CertPool())}}
	t.Cleanup(hc.CloseIdleConnections)
	opts := mgmtclient.Options{
		Endpoint: srv.URL, Subscription: srv.Subscription, HTTPClient: hc,
		RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond, PollInterval: time.Millisecond,
	}
	if trace != nil {
		opts.Trace = trace
	}
	c, err := mgmtclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddManagementCertificateBody(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
	c := newClient(t, srv, tlsCert(admin, adminKey), nil)
	cert, _ := testCert(t, "deploy", 1)
	if err := c.AddManagementCertificate(context.Background(), cert); err != nil {
		t.Fatal(err)
	}
	var post *emulator.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			post = &r
		}
	}
	if post == nil {
		t.Fatal("no POST recorded")
	}
	if got := post.Header.Get("x-ms-version"); got != mgmtclient.APIVersion {
		t.Errorf("x-ms-version = %q, want %q", got, mgmtclient.APIVersion)
	}
	if got := post.Header.Get("Content-Type"); got != "application/xml" {
		t.Errorf("Content-Type = %q, want application/xml", got)
	}
	if want := "/" + srv.Subscription + "/certificates"; post.Path != want {
		t.Errorf("path = %q, want %q", post.Path, want)
	}
	// Namespace and element order, read token by token.
	dec := xml.NewDecoder(bytes.NewReader(post.Body))
	var order []string
	texts := map[string]string{}
	var cur string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if tk.Name.Space != mgmtclient.Namespace {
				t.Errorf("element %s in namespace %q, want %q", tk.Name.Local, tk.Name.Space, mgmtclient.Namespace)
			}
			order = append(order, tk.Name.Local)
			cur = tk.Name.Local
		case xml.CharData:
			texts[cur] += string(tk)
		}
	}
	wantOrder := "SubscriptionCertificate SubscriptionCertificatePublicKey SubscriptionCertificateThumbprint SubscriptionCertificateData"
	if got := strings.Join(order, " "); got != wantOrder {
		t.Errorf("elements = %q, want %q", got, wantOrder)
	}
	data, err := base64.StdEncoding.DecodeString(texts["SubscriptionCertificateData"])
	if err != nil || !bytes.Equal(data, cert.Raw) {
		t.Errorf("SubscriptionCertificateData is not the base64 DER of the certificate (err %v)", err)
	}
	sum := sha1.Sum(data)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); texts["SubscriptionCertificateThumbprint"] != want {
		t.Errorf("thumbprint = %q, want upper-case SHA-1 of the data %q", texts["SubscriptionCertificateThumbprint"], want)
	}
	pk, err := base64.StdEncoding.DecodeString(texts["SubscriptionCertificatePublicKey"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKCS1PublicKey(pk); err != nil {
		t.Errorf("public key is not PKCS#1 RSAPublicKey: %v", err)
	}
	if bytes.Contains(post.Body, []byte("PRIVATE")) {
		t.Error("the body mentions a private key")
	}
}

func TestRegisterIsIdempotentUnderRetries(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	cert, _ := testCert(t, "deploy", 1)
	tests := []struct {
		name  string
		fault emulator.Fault
	}{
		{"throttled twice", emulator.Fault{Kind: emulator.FaultThrottle, Count: 2}},
		{"internal error twice", emulator.Fault{Kind: emulator.FaultInternalError, Count: 2}},
		{"connection reset twice", emulator.Fault{Kind: emulator.FaultReset, Count: 2}},
		{"redirected", emulator.Fault{Kind: emulator.FaultRedirect, Count: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
			c := newClient(t, srv, tlsCert(admin, adminKey), nil)
			srv.Inject(tt.fault)
			already, err := c.RegisterManagementCertificate(context.Background(), cert)
			if err != nil || already {
				t.Fatalf("RegisterManagementCertificate = %v, %v; want false, nil", already, err)
			}
			if got := len(srv.ASM.ManagementCertificates()); got != 2 {
				t.Errorf("registered certificates = %d, want 2 (no duplicate)", got)
			}
			if n := len(srv.Requests()); n > 4 {
				t.Errorf("%d requests sent, want at most 4", n)
			}
			// Again: already registered, still one copy.
			already, err = c.RegisterManagementCertificate(context.Background(), cert)
			if err != nil || !already {
				t.Errorf("second RegisterManagementCertificate = %v, %v; want true, nil", already, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	stranger, strangerKey := testCert(t, "stranger", 2)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}, MaxManagementCerts: 1})
	ctx := context.Background()

	_, err := newClient(t, srv, tlsCert(stranger, strangerKey), nil).ListManagementCertificates(ctx)
	var e *mgmtclient.Error
	if !errors.As(err, &e) || e.StatusCode != 403 || e.Code != "ForbiddenError" || !strings.Contains(e.Message, "Verify that the certificate is valid") {
		t.Errorf("unregistered certificate: err = %v, want 403 ForbiddenError", err)
	}

	c := newClient(t, srv, tlsCert(admin, adminKey), nil)
	_, err = c.GetManagementCertificate(ctx, strings.Repeat("AB", 20))
	if !mgmtclient.IsNotFound(err) {
		t.Errorf("Get of an unknown thumbprint: err = %v, want 404", err)
	}
	cert, _ := testCert(t, "deploy", 1)
	_, err = c.RegisterManagementCertificate(ctx, cert)
	if !mgmtclient.IsLimit(err) {
		t.Errorf("over the limit: err = %v, want IsLimit", err)
	}
	if errors.As(err, &e) && e.RequestID == "" {
		t.Errorf("error %v carries no request id", err)
	}

	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 100})
	_, err = c.ListManagementCertificates(ctx)
	if !errors.As(err, &e) || !e.Temporary() || e.Code != "TooManyRequests" {
		t.Errorf("throttled past the retries: err = %v, want a temporary 503 TooManyRequests", err)
	}
}

func TestUnreachable(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
	c := newClient(t, srv, tlsCert(admin, adminKey), nil)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.ListManagementCertificates(ctx)
	var u *mgmtclient.UnavailableError
	if !errors.As(err, &u) {
		t.Errorf("closed server: err = %v (%T), want *UnavailableError", err, err)
	}
}

func TestServiceCertificateOperations(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}, Services: []string{"web"}})
	var trace bytes.Buffer
	c := newClient(t, srv, tlsCert(admin, adminKey), &trace)
	ctx := context.Background()
	site, siteKey := testCert(t, "contoso.net", 3)
	pfx, err := pkcs12.LegacyDES.Encode(siteKey, site, nil, "Right-Pa55")
	if err != nil {
		t.Fatal(err)
	}

	id, err := c.AddServiceCertificate(ctx, "web", pfx, "pfx", "Right-Pa55")
	if err != nil || len(id) != 32 {
		t.Fatalf("AddServiceCertificate = %q, %v", id, err)
	}
	op, err := c.WaitOperation(ctx, id)
	if err != nil || op.Status != mgmtclient.StatusSucceeded {
		t.Fatalf("WaitOperation = %+v, %v", op, err)
	}
	list, err := c.ListServiceCertificates(ctx, "web")
	if err != nil || len(list) != 1 || list[0].Thumbprint != mgmtclient.Thumbprint(site) || list[0].Cert == nil {
		t.Fatalf("ListServiceCertificates = %+v, %v", list, err)
	}

	// The trace shows the request but neither the password nor the .pfx.
	if strings.Contains(trace.String(), "Right-Pa55") || strings.Contains(trace.String(), base64.StdEncoding.EncodeToString(pfx)[:40]) {
		t.Error("the trace contains the password or the .pfx data")
	}
	if !strings.Contains(trace.String(), "<Password>REDACTED</Password>") || !strings.Contains(trace.String(), "X-Ms-Version: "+mgmtclient.APIVersion) {
		t.Errorf("trace lacks the redacted body or headers:\n%s", trace.String())
	}

	// A wrong password fails the operation, not the request.
	id, err = c.AddServiceCertificate(ctx, "web", pfx, "pfx", "wrong")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitOperation(ctx, id)
	var oe *mgmtclient.OperationError
	if !errors.As(err, &oe) || oe.Operation.Error == nil || oe.Operation.Error.Code != "BadRequest" {
		t.Errorf("wrong password: err = %v, want *OperationError with BadRequest", err)
	}

	// Unknown service: 404.
	if _, err := c.AddServiceCertificate(ctx, "nosuch", pfx, "pfx", "Right-Pa55"); !mgmtclient.IsNotFound(err) {
		t.Errorf("unknown service: err = %v, want 404", err)
	}

	id, err = c.DeleteServiceCertificate(ctx, "web", mgmtclient.Thumbprint(site))
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		if _, err := c.WaitOperation(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
}

// TestListParsesRecordedShapes feeds the client answers shaped like the
// real service's, including a portal-generated entry whose data is a
// PKCS#12 blob with an empty password.
func TestListParsesRecordedShapes(t *testing.T) {
	der, key := testCert(t, "portal-generated", 2)
	plain, _ := testCert(t, "plain", 1)
	blob, err := pkcs12.LegacyRC2.Encode(key, der, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`<SubscriptionCertificates xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<SubscriptionCertificate><SubscriptionCertificatePublicKey>x</SubscriptionCertificatePublicKey><SubscriptionCertificateThumbprint>%s</SubscriptionCertificateThumbprint><SubscriptionCertificateData>%s</SubscriptionCertificateData><Created>2014-05-13T09:21:44.5305738Z</Created></SubscriptionCertificate>
<SubscriptionCertificate><SubscriptionCertificatePublicKey>y</SubscriptionCertificatePublicKey><SubscriptionCertificateThumbprint>%s</SubscriptionCertificateThumbprint><SubscriptionCertificateData>%s</SubscriptionCertificateData><Created>2016-01-02T03:04:05Z</Created></SubscriptionCertificate>
</SubscriptionCertificates>`, mgmtclient.Thumbprint(der), base64.StdEncoding.EncodeToString(blob),
		strings.ToLower(mgmtclient.Thumbprint(plain)), base64.StdEncoding.EncodeToString(plain.Raw))
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-ms-version") == "" {
			http.Error(w, "no version", 400)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("x-ms-request-id", "0123456789abcdef0123456789abcdef")
		fmt.Fprint(w, body)
	}))
	defer ts.Close()
	c, err := mgmtclient.New(mgmtclient.Options{Endpoint: ts.URL, Subscription: emulator.DefaultSubscription, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListManagementCertificates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("entries = %d, want 2", len(list))
	}
	if list[0].Cert == nil || list[0].Cert.Subject.CommonName != "portal-generated" {
		t.Errorf("PKCS#12 entry: cert = %v, want CN=portal-generated", list[0].Cert)
	}
	if want := time.Date(2014, 5, 13, 9, 21, 44, 530573800, time.UTC); !list[0].Created.Equal(want) {
		t.Errorf("Created = %v, want %v", list[0].Created, want)
	}
	if list[1].Cert == nil || list[1].Thumbprint != mgmtclient.Thumbprint(plain) {
		t.Errorf("DER entry: %+v (thumbprint must be upper case)", list[1])
	}
}

func TestPublishSettings(t *testing.T) {
	admin, adminKey := testCert(t, "publish-settings", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
	// As the portal made them: PKCS#12, empty password, legacy RC2.
	blob, err := pkcs12.LegacyRC2.Encode(adminKey, admin, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(blob)
	other := "11111111-2222-3333-4444-555555555555"
	files := map[string]string{
		"schema 1.0": fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<PublishData>
  <PublishProfile PublishMethod="AzureServiceManagementAPI" Url="%s" ManagementCertificate="%s">
    <Subscription Id="%s" Name="Pay-As-You-Go" />
  </PublishProfile>
</PublishData>`, srv.URL, b64, strings.ToUpper(srv.Subscription)),
		"schema 2.0": fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<PublishData>
  <PublishProfile SchemaVersion="2.0" PublishMethod="AzureServiceManagementAPI">
    <Subscription ServiceManagementUrl="%s" Id="%s" Name="Visual Studio" ManagementCertificate="%s" />
    <Subscription ServiceManagementUrl="https://management.core.windows.net" Id="%s" Name="Other" ManagementCertificate="%s" />
  </PublishProfile>
</PublishData>`, srv.URL, srv.Subscription, b64, other, b64),
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			ps, err := mgmtclient.ParsePublishSettings([]byte(file))
			if err != nil {
				t.Fatal(err)
			}
			sub, err := ps.Pick(srv.Subscription)
			if err != nil {
				t.Fatal(err)
			}
			if sub.Endpoint != srv.URL || sub.Thumbprint != mgmtclient.Thumbprint(admin) {
				t.Errorf("Pick = endpoint %q thumbprint %q", sub.Endpoint, sub.Thumbprint)
			}
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: mgmtclient.TLSConfig(sub.Certificate, srv.CertPool())}}
			c, err := mgmtclient.New(mgmtclient.Options{Endpoint: sub.Endpoint, Subscription: sub.ID, HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ListManagementCertificates(context.Background()); err != nil {
				t.Errorf("authenticating with the publish settings certificate: %v", err)
			}
		})
	}
	ps, err := mgmtclient.ParsePublishSettings([]byte(files["schema 2.0"]))
	if err != nil {
		t.Fatal(err)
	}
	var amb *mgmtclient.AmbiguousSubscriptionError
	if _, err := ps.Pick(""); !errors.As(err, &amb) || len(amb.IDs) != 2 {
		t.Errorf("Pick(\"\") with two subscriptions = %v, want AmbiguousSubscriptionError listing both", err)
	}
	for _, bad := range []string{"", "<PublishData/>", "<PublishData><PublishProfile><Subscription Id=\"x\"/></PublishProfile></PublishData>", "not xml"} {
		if _, err := mgmtclient.ParsePublishSettings([]byte(bad)); err == nil {
			t.Errorf("ParsePublishSettings(%q) succeeded, want an error", bad)
		}
	}
}

func TestRedact(t *testing.T) {
	in := `<CertificateFile><Data>MIIK...secretpfx</Data><CertificateFormat>pfx</CertificateFormat><Password>hunter2</Password></CertificateFile>`
	out := string(mgmtclient.Redact([]byte(in)))
	if strings.Contains(out, "hunter2") || strings.Contains(out, "secretpfx") || !strings.Contains(out, "<CertificateFormat>pfx</CertificateFormat>") {
		t.Errorf("Redact = %s", out)
	}
}

// FuzzParsePublishSettings checks that the parser copes with any file: it
// never panics or changes its input, and what it accepts is usable: at
// least one subscription, each with a subscription ID, a certificate with
// its private key and the certificate's thumbprint, and Pick("") answers
// exactly when there is one.
func FuzzParsePublishSettings(f *testing.F) {
	f.Add([]byte(`<PublishData><PublishProfile SchemaVersion="2.0"><Subscription Id="8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36" ManagementCertificate="AAAA"/></PublishProfile></PublishData>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><PublishData>&b;</PublishData>`))
	// Valid files of both schemas, as the portal made them.
	cert, key := testCert(f, "publish-settings", 0)
	blob, err := pkcs12.LegacyRC2.Encode(key, cert, nil, "")
	if err != nil {
		f.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(blob)
	f.Add([]byte(`<PublishData><PublishProfile Url="https://management.core.windows.net" ManagementCertificate="` + b64 +
		`"><Subscription Id="8F3E2A41-6C1D-4B7A-9E55-0C2D7F1A9B36" Name="a"/></PublishProfile></PublishData>`))
	f.Add([]byte(`<PublishData><PublishProfile SchemaVersion="2.0"><Subscription ServiceManagementUrl="https://management.core.windows.net" Id="8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36" Name="a" ManagementCertificate="` + b64 +
		`"/><Subscription Id="11111111-2222-3333-4444-555555555555" Name="b" ManagementCertificate="` + b64 + `"/></PublishProfile></PublishData>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		ps, err := mgmtclient.ParsePublishSettings(data)
		if !bytes.Equal(data, orig) {
			t.Fatal("ParsePublishSettings changed its input")
		}
		if err != nil {
			if ps != nil {
				t.Fatalf("ParsePublishSettings returned settings and an error: %v", err)
			}
			return
		}
		if len(ps.Subscriptions) == 0 {
			t.Fatal("accepted with no subscription")
		}
		for _, s := range ps.Subscriptions {
			if !mgmtclient.ValidSubscription(s.ID) || s.ID != strings.ToLower(s.ID) {
				t.Fatalf("subscription ID %q is not a lower-case GUID", s.ID)
			}
			leaf := s.Certificate.Leaf
			if leaf == nil || s.Certificate.PrivateKey == nil || len(s.Certificate.Certificate) != 1 {
				t.Fatalf("subscription %s: certificate or key missing", s.ID)
			}
			if s.Thumbprint != mgmtclient.Thumbprint(leaf) {
				t.Fatalf("subscription %s: thumbprint %q is not the certificate's", s.ID, s.Thumbprint)
			}
		}
		if _, err := ps.Pick(""); (err == nil) != (len(ps.Subscriptions) == 1) {
			t.Fatalf("Pick(\"\") with %d subscriptions: %v", len(ps.Subscriptions), err)
		}
	})
}

// TestDefaultLimit registers management certificates up to the default
// limit of 100 (the trusted one counts) and checks the 101st is refused
// with an answer IsLimit recognises.
func TestDefaultLimit(t *testing.T) {
	admin, adminKey := testCert(t, "admin", 0)
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
	c := newClient(t, srv, tlsCert(admin, adminKey), nil)
	ctx := context.Background()
	for i := 1; i < 100; i++ {
		cert, _ := testCert(t, fmt.Sprintf("deploy-%d", i), 1)
		if _, err := c.RegisterManagementCertificate(ctx, cert); err != nil {
			t.Fatalf("certificate %d: %v", i+1, err)
		}
	}
	cert, _ := testCert(t, "one-too-many", 1)
	_, err := c.RegisterManagementCertificate(ctx, cert)
	if !mgmtclient.IsLimit(err) {
		t.Errorf("the 101st certificate: err = %v, want a limit error", err)
	}
	if n := len(srv.ASM.ManagementCertificates()); n != 100 {
		t.Errorf("registered = %d, want 100", n)
	}
}
