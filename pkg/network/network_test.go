package network

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const sub = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"

// newCert makes a self-signed certificate named cn (ECDSA: quick to make;
// a gateway takes any certificate's data).
func newCert(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gatewayJSON is a gateway as ARM answers it, with members the client
// does not know (futureSetting, a number written 1.50, an escaped string)
// that must come back as they were.
const gatewayJSON = `{
  "name": "vpngw",
  "id": "/subscriptions/` + sub + `/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw",
  "etag": "W/\"11111111-1111-4111-8111-111111111111\"",
  "type": "Microsoft.Network/virtualNetworkGateways",
  "location": "westeurope",
  "tags": {"owner": "net\u0026ops"},
  "futureSetting": {"ratio": 1.50, "list": [1, 2, 3]},
  "properties": {
    "provisioningState": "Succeeded",
    "gatewayType": "Vpn",
    "vpnType": "RouteBased",
    "sku": {"name": "VpnGw1", "tier": "VpnGw1", "capacity": 2},
    "ipConfigurations": [{"name": "default", "properties": {"privateIPAllocationMethod": "Dynamic"}}],
    "vpnClientConfiguration": {
      "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
      "vpnClientProtocols": ["IkeV2", "OpenVPN"],
      "radiusServerSecret": "s3cret-radius",
      "vpnClientRootCertificates": [],
      "vpnClientRevokedCertificates": [{"name": "old-laptop", "etag": "W/\"x\"", "properties": {"thumbprint": "0A0B0C0D0E0F101112131415161718191A1B1C1D", "provisioningState": "Succeeded"}}],
      "unknownP2S": {"keep": true}
    }
  }
}`

// fakeARM is a stateful gateway endpoint: GET answers the resource, PUT
// checks If-Match, stores the body with a new etag and answers 200 with an
// Azure-AsyncOperation URL whose operation is InProgress for inProgress
// polls (Retry-After: 7), then ends with final.
type fakeARM struct {
	t          *testing.T
	srv        *httptest.Server
	mu         sync.Mutex
	doc        []byte
	etag       string
	version    int
	inProgress int
	final      string
	polls      int
	puts       [][]byte
	ifMatches  []string
	gets       int
	// beforePut, if set, runs before a PUT is checked (n counts PUTs from 1).
	beforePut func(f *fakeARM, n int)
	// loseAnswer: the PUT with this number is applied, and its connection
	// closed without an answer.
	loseAnswer int
	// opURL overrides the Azure-AsyncOperation URL.
	opURL string
}

func newFake(t *testing.T, doc string) *fakeARM {
	f := &fakeARM{t: t, final: "Succeeded"}
	f.setDoc([]byte(doc))
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// setDoc stores doc with a new etag; the lock is held or not needed.
func (f *fakeARM) setDoc(doc []byte) {
	f.version++
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		f.t.Fatalf("fake: %v", err)
	}
	f.etag = fmt.Sprintf(`W/"%08d-0000-4000-8000-000000000000"`, f.version)
	m["etag"] = f.etag
	f.doc, _ = json.Marshal(m)
}

// edit changes the stored resource as a concurrent writer would.
func (f *fakeARM) edit(change func(m map[string]any)) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(f.doc))
	d.UseNumber()
	_ = d.Decode(&m)
	change(m)
	data, _ := json.Marshal(m)
	f.setDoc(data)
}

func p2s(m map[string]any) map[string]any {
	return m["properties"].(map[string]any)["vpnClientConfiguration"].(map[string]any)
}

func (f *fakeARM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("x-ms-request-id", "req")
	if r.URL.Query().Get("api-version") != APIVersion || r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"code":"BadRequest","message":"api-version or token"}}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/ops/1":
		f.polls++
		if f.polls <= f.inProgress {
			w.Header().Set("Retry-After", "7")
			fmt.Fprint(w, `{"status":"InProgress"}`)
			return
		}
		if f.final == "Failed" {
			fmt.Fprint(w, `{"status":"Failed","error":{"code":"VpnClientRootCertificateInvalid","message":"The root is no good."}}`)
			return
		}
		fmt.Fprintf(w, `{"status":%q}`, f.final)
	case r.Method == http.MethodGet:
		f.gets++
		fmt.Fprintf(w, "%s", f.doc)
	case r.Method == http.MethodPut:
		f.puts = append(f.puts, body)
		f.ifMatches = append(f.ifMatches, r.Header.Get("If-Match"))
		n := len(f.puts)
		if f.beforePut != nil {
			f.beforePut(f, n)
		}
		if r.Header.Get("If-Match") != f.etag {
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `{"error":{"code":"PreconditionFailed","message":"The etag does not match."}}`)
			return
		}
		f.setDoc(body)
		f.polls = 0
		if n == f.loseAnswer {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		op := f.opURL
		if op == "" {
			op = f.srv.URL + "/ops/1?api-version=" + APIVersion
		}
		w.Header().Set("Azure-AsyncOperation", op)
		w.Header().Set("Retry-After", "3")
		fmt.Fprintf(w, "%s", f.doc)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeARM) roots() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := ParseGateway(f.doc)
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, r := range g.Roots {
		names = append(names, r.Name)
	}
	return names
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (f *fakeARM) client(t *testing.T, s *sleeps, trace io.Writer) *Client {
	t.Helper()
	c, err := New(Options{Endpoint: f.srv.URL, Subscription: sub, Credential: StaticToken("tok"), Transport: f.srv.Client(),
		RetryDelay: time.Millisecond, Sleep: s.sleep, Trace: trace})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGatewayReads(t *testing.T) {
	f := newFake(t, gatewayJSON)
	c := f.client(t, &sleeps{}, nil)
	g, err := c.Gateway(context.Background(), "rg-net", "vpngw")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "vpngw" || g.ResourceGroup != "rg-net" || g.ETag != f.etag || g.SKU != "VpnGw1" || g.GatewayType != "Vpn" || !g.PointToSite ||
		len(g.Roots) != 0 || len(g.Revoked) != 1 || g.Revoked[0].Thumbprint != "0A0B0C0D0E0F101112131415161718191A1B1C1D" {
		t.Errorf("Gateway = %+v", g)
	}
	for _, bad := range [][2]string{{"rg net", "vpngw"}, {"rg", "-gw"}, {"rg", strings.Repeat("g", 81)}} {
		if _, err := c.Gateway(context.Background(), bad[0], bad[1]); err == nil {
			t.Errorf("Gateway(%q, %q) sent a request", bad[0], bad[1])
		}
	}
}

// AddRoot writes back every member as it was read, adds the root in the
// documented shape, sends If-Match, follows the operation with its
// Retry-After, and confirms.
func TestAddRootReadModifyWrite(t *testing.T) {
	f := newFake(t, gatewayJSON)
	f.inProgress = 2
	s := &sleeps{}
	var trace bytes.Buffer
	c := f.client(t, s, &trace)
	root := newCert(t, "Contoso P2S Root")
	before := append([]byte(nil), f.doc...)
	etag := f.etag
	res, err := c.AddRoot(context.Background(), "rg-net", "vpngw", "", root.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Status != StatusAdded || res.Name != "Contoso-P2S-Root" || res.Conflicts != 0 {
		t.Errorf("AddRoot = %+v", res)
	}
	if len(f.puts) != 1 || f.ifMatches[0] != etag {
		t.Fatalf("PUTs %d, If-Match %q, want 1 with %q", len(f.puts), f.ifMatches, etag)
	}
	// Every member but the roots comes back byte for byte.
	sent, _ := parseObject(f.puts[0])
	orig, _ := parseObject(before)
	if len(sent) != len(orig) {
		t.Fatalf("PUT has %d members, the gateway %d", len(sent), len(orig))
	}
	for i, m := range orig {
		if sent[i].key != m.key {
			t.Errorf("member %d is %q, want %q (order kept)", i, sent[i].key, m.key)
		}
		if m.key != keyProperties && !bytes.Equal(sent[i].val, m.val) {
			t.Errorf("member %q = %s, want %s", m.key, sent[i].val, m.val)
		}
	}
	sp, _ := sent.get(keyProperties)
	op, _ := orig.get(keyProperties)
	sentProps, _ := parseObject(sp)
	origProps, _ := parseObject(op)
	for _, m := range origProps {
		v, _ := sentProps.get(m.key)
		if m.key != keyConfig && !bytes.Equal(v, m.val) {
			t.Errorf("properties.%s = %s, want %s", m.key, v, m.val)
		}
	}
	sc, _ := sentProps.get(keyConfig)
	oc, _ := origProps.get(keyConfig)
	sentCfg, _ := parseObject(sc)
	origCfg, _ := parseObject(oc)
	for _, m := range origCfg {
		v, _ := sentCfg.get(m.key)
		if m.key != keyRoots && !bytes.Equal(v, m.val) {
			t.Errorf("vpnClientConfiguration.%s = %s, want %s", m.key, v, m.val)
		}
	}
	rootsSent, _ := sentCfg.get(keyRoots)
	want := `[{"name":"Contoso-P2S-Root","properties":{"publicCertData":"` + PublicCertData(root.Raw) + `"}}]`
	if string(rootsSent) != want {
		t.Errorf("roots sent = %s, want %s", rootsSent, want)
	}
	// The PUT's Retry-After (3 s), then the InProgress polls' (7 s twice).
	if got := fmt.Sprint(s.d); got != "[3s 7s 7s]" {
		t.Errorf("waits = %s, want [3s 7s 7s]", got)
	}
	if f.polls != 3 || f.gets != 2 {
		t.Errorf("polls %d, gets %d; want 3 polls and a GET before and after", f.polls, f.gets)
	}
	if len(res.Gateway.Roots) != 1 || res.Gateway.Roots[0].Thumbprint != thumbprint(root.Raw) {
		t.Errorf("roots after = %+v", res.Gateway.Roots)
	}
	if strings.Contains(trace.String(), "s3cret-radius") || strings.Contains(trace.String(), "Bearer tok") {
		t.Errorf("the trace shows a secret:\n%s", trace.String())
	}
	if !strings.Contains(trace.String(), "Azure-Asyncoperation: "+f.srv.URL) {
		t.Errorf("the trace lacks the operation header:\n%s", trace.String())
	}
}

// A root whose data is there already, under whatever name, is not sent.
func TestAddRootAlreadyPresent(t *testing.T) {
	f := newFake(t, gatewayJSON)
	root := newCert(t, "root")
	f.edit(func(m map[string]any) {
		p2s(m)[keyRoots] = []any{map[string]any{"name": "given-by-portal", "properties": map[string]any{"publicCertData": "-----BEGIN CERTIFICATE-----\n" + PublicCertData(root.Raw) + "\n-----END CERTIFICATE-----"}}}
	})
	res, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "vpngw", "other", root.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Status != StatusAlreadyPresent || res.Name != "given-by-portal" || len(f.puts) != 0 {
		t.Errorf("AddRoot = %+v with %d PUTs, want already present and none", res, len(f.puts))
	}
}

func TestAddRootLimitAndName(t *testing.T) {
	f := newFake(t, gatewayJSON)
	var items []any
	for i := range MaxRoots {
		items = append(items, map[string]any{"name": fmt.Sprintf("r%d", i), "properties": map[string]any{"publicCertData": PublicCertData(newCert(t, "x").Raw)}})
	}
	f.edit(func(m map[string]any) { p2s(m)[keyRoots] = items })
	c := f.client(t, &sleeps{}, nil)
	_, err := c.AddRoot(context.Background(), "rg-net", "vpngw", "", newCert(t, "one too many").Raw)
	var le *LimitError
	if !errors.As(err, &le) || le.Max != 20 || len(f.puts) != 0 {
		t.Errorf("AddRoot of a 21st = %v (%d PUTs), want a LimitError before any PUT", err, len(f.puts))
	}
	_, err = c.AddRoot(context.Background(), "rg-net", "vpngw", "R3", newCert(t, "y").Raw)
	var ne *NameInUseError
	if !errors.As(err, &ne) || ne.Name != "r3" {
		t.Errorf("AddRoot under a taken name = %v, want a NameInUseError", err)
	}
	if _, err := c.AddRoot(context.Background(), "rg-net", "vpngw", "bad name!", newCert(t, "z").Raw); err == nil {
		t.Error("AddRoot took an invalid name")
	}
	if _, err := c.AddRoot(context.Background(), "rg-net", "vpngw", "", []byte("not DER")); err == nil {
		t.Error("AddRoot took bytes that are no certificate")
	}
}

// A 412 re-reads and tries again on the gateway as it is now: the
// concurrent change stays, and ours is added to it.
func TestAddRootRetriesAfter412(t *testing.T) {
	f := newFake(t, gatewayJSON)
	other := newCert(t, "other admin's root")
	f.beforePut = func(f *fakeARM, n int) {
		if n <= 2 {
			f.edit(func(m map[string]any) {
				cfg := p2s(m)
				roots, _ := cfg[keyRoots].([]any)
				cfg[keyRoots] = append(roots, map[string]any{"name": fmt.Sprintf("concurrent%d", n), "properties": map[string]any{"publicCertData": PublicCertData(other.Raw)}})
				if n == 2 {
					m["tags"] = map[string]any{"changed": "by someone else"}
					cfg[keyRoots] = cfg[keyRoots].([]any)[1:]
					cfg[keyRoots].([]any)[0].(map[string]any)["properties"] = map[string]any{"publicCertData": PublicCertData(newCert(t, "c2").Raw)}
				}
			})
		}
	}
	mine := newCert(t, "mine")
	s := &sleeps{}
	res, err := f.client(t, s, nil).AddRoot(context.Background(), "rg-net", "vpngw", "mine", mine.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Conflicts != 2 || len(f.puts) != 3 || !res.Changed {
		t.Errorf("AddRoot = %+v after %d PUTs, want 2 conflicts and 3 PUTs", res, len(f.puts))
	}
	if got := fmt.Sprint(f.roots()); got != "[concurrent2 mine]" {
		t.Errorf("roots = %s, want the concurrent one kept and mine added", got)
	}
	if !bytes.Contains(f.doc, []byte("by someone else")) {
		t.Error("the concurrent change of the tags was overwritten")
	}
	for i := 1; i < len(f.ifMatches); i++ {
		if f.ifMatches[i] == f.ifMatches[i-1] {
			t.Errorf("PUT %d sent the stale etag again: %v", i+1, f.ifMatches)
		}
	}
}

// Endless conflicts end, bounded.
func TestAddRootGivesUpOnConflicts(t *testing.T) {
	f := newFake(t, gatewayJSON)
	f.beforePut = func(f *fakeARM, n int) { f.edit(func(m map[string]any) { m["tags"] = map[string]any{"n": n} }) }
	_, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "vpngw", "", newCert(t, "root").Raw)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Tries != DefaultMaxConflicts+1 || len(f.puts) != DefaultMaxConflicts+1 {
		t.Errorf("AddRoot = %v after %d PUTs, want a ConflictError after %d", err, len(f.puts), DefaultMaxConflicts+1)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("the ConflictError does not carry the 412: %v", err)
	}
}

// The answer to the PUT is lost after the gateway took it: the pipeline's
// retry meets 412 (its own write changed the etag), the client reads the
// gateway, finds the root there, and does not add it a second time.
func TestAddRootLostAnswer(t *testing.T) {
	f := newFake(t, gatewayJSON)
	f.loseAnswer = 1
	res, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "vpngw", "root", newCert(t, "root").Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Status != StatusAdded {
		t.Errorf("AddRoot = %+v, want added", res)
	}
	if got := fmt.Sprint(f.roots()); got != "[root]" {
		t.Errorf("roots = %s, want the root once", got)
	}
	if len(f.puts) != 2 {
		t.Errorf("%d PUTs, want the lost one and its retry", len(f.puts))
	}
}

func TestOperationFailed(t *testing.T) {
	f := newFake(t, gatewayJSON)
	f.final = "Failed"
	_, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "vpngw", "", newCert(t, "root").Raw)
	var oe *OperationError
	if !errors.As(err, &oe) || oe.Status != "Failed" || oe.Code != "VpnClientRootCertificateInvalid" || !strings.Contains(err.Error(), "The root is no good.") {
		t.Errorf("AddRoot = %v, want the operation's failure", err)
	}
}

// An operation URL on another host is not followed: the token would go there.
func TestOperationURLElsewhere(t *testing.T) {
	f := newFake(t, gatewayJSON)
	f.opURL = "https://attacker.example/ops/1"
	_, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "vpngw", "", newCert(t, "root").Raw)
	if err == nil || !strings.Contains(err.Error(), "points away") {
		t.Errorf("AddRoot = %v, want the operation URL refused", err)
	}
}

func TestRemoveAndRevoked(t *testing.T) {
	f := newFake(t, gatewayJSON)
	c := f.client(t, &sleeps{}, nil)
	ctx := context.Background()
	root := newCert(t, "root")
	if _, err := c.AddRoot(ctx, "rg-net", "vpngw", "", root.Raw); err != nil {
		t.Fatal(err)
	}
	res, err := c.RemoveRoot(ctx, "rg-net", "vpngw", "ROOT")
	if err != nil || !res.Changed || res.Name != "root" || len(res.Gateway.Roots) != 0 {
		t.Errorf("RemoveRoot = %+v, %v", res, err)
	}
	puts := len(f.puts)
	if res, err := c.RemoveRoot(ctx, "rg-net", "vpngw", "root"); err != nil || res.Changed || res.Status != StatusNotPresent || len(f.puts) != puts {
		t.Errorf("RemoveRoot of an absent root = %+v, %v (%d PUTs more)", res, err, len(f.puts)-puts)
	}
	res, err = c.AddRevoked(ctx, "rg-net", "vpngw", "", "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd")
	if err != nil || res.Name != "revoked-AABBCCDD" || len(res.Gateway.Revoked) != 2 || res.Gateway.Revoked[1].Thumbprint != "AABBCCDDEEFF00112233445566778899AABBCCDD" {
		t.Errorf("AddRevoked = %+v, %v", res, err)
	}
	if res, err := c.AddRevoked(ctx, "rg-net", "vpngw", "again", "0a0b0c0d0e0f101112131415161718191a1b1c1d"); err != nil || res.Changed || res.Name != "old-laptop" {
		t.Errorf("AddRevoked of a revoked thumbprint = %+v, %v", res, err)
	}
	if _, err := c.AddRevoked(ctx, "rg-net", "vpngw", "", "12345"); err == nil {
		t.Error("AddRevoked took a bad thumbprint")
	}
	res, err = c.RemoveRevoked(ctx, "rg-net", "vpngw", "0A0B0C0D0E0F101112131415161718191A1B1C1D")
	if err != nil || !res.Changed || res.Name != "old-laptop" || len(res.Gateway.Revoked) != 1 {
		t.Errorf("RemoveRevoked by thumbprint = %+v, %v", res, err)
	}
	list, err := c.Revoked(ctx, "rg-net", "vpngw")
	if err != nil || len(list) != 1 || list[0].Name != "revoked-AABBCCDD" {
		t.Errorf("Revoked = %+v, %v", list, err)
	}
}

func TestNoPointToSite(t *testing.T) {
	f := newFake(t, `{"name":"gw","etag":"W/\"1\"","properties":{"gatewayType":"Vpn"}}`)
	_, err := f.client(t, &sleeps{}, nil).AddRoot(context.Background(), "rg-net", "gw", "", newCert(t, "root").Raw)
	if !errors.Is(err, ErrNoPointToSite) || len(f.puts) != 0 {
		t.Errorf("AddRoot = %v, want ErrNoPointToSite and no PUT", err)
	}
}

func TestNamesAndData(t *testing.T) {
	for in, want := range map[string]string{
		"Contoso P2S Root":             "Contoso-P2S-Root",
		"  --root.":                    "root",
		"_x_":                          "x_",
		"Zürich Root CA":               "Z-rich-Root-CA",
		"***":                          "",
		strings.Repeat("a", 79) + "-b": strings.Repeat("a", 79),
	} {
		got := SanitizeName(in)
		if got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
		if got != "" && !ValidName(got) {
			t.Errorf("SanitizeName(%q) = %q, which is not a valid name", in, got)
		}
	}
	c := newCert(t, "")
	if n := DefaultRootName(c); !strings.HasPrefix(n, "root-") || !ValidName(n) {
		t.Errorf("DefaultRootName of a certificate without CN = %q", n)
	}
	der := newCert(t, "d").Raw
	data := PublicCertData(der)
	if strings.ContainsAny(data, "\n-") {
		t.Errorf("PublicCertData has line breaks or PEM armour: %q", data)
	}
	for _, in := range []string{data, "-----BEGIN CERTIFICATE-----\r\n" + data[:64] + "\r\n" + data[64:] + "\r\n-----END CERTIFICATE-----\r\n", strings.TrimRight(data, "=")} {
		got, ok := DecodePublicCertData(in)
		if !ok || !bytes.Equal(got, der) {
			t.Errorf("DecodePublicCertData(%q) = %v, want the DER", in, ok)
		}
	}
}
