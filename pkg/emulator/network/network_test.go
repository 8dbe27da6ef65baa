package network_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/network"
)

const (
	rg = "rg-net"
	gw = "vpngw"
)

func newCert(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: emutest.FixedNow, NotAfter: emutest.FixedNow.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// start runs an emulator with the gateway rg-net/vpngw; edit adjusts it.
func start(t *testing.T, edit func(*azure.Config)) *azure.Emulator {
	t.Helper()
	cfg := azure.Config{VPNGateways: []string{rg + "/" + gw}}
	if edit != nil {
		edit(&cfg)
	}
	return emulatortest.NewServer(t, cfg)
}

// client is a pkg/network client of e; sleep nil waits for real.
func client(t *testing.T, e *azure.Emulator, transport func(*http.Client) any, sleep func(context.Context, time.Duration) error) *network.Client {
	t.Helper()
	hc := emutest.ARMHTTPClient(t, e)
	o := network.Options{Endpoint: e.URL, Subscription: e.Subscription, Credential: network.StaticToken(e.Network.Token()),
		Transport: hc, RetryDelay: time.Millisecond, MaxConflicts: 16, PollInterval: time.Millisecond, Sleep: sleep}
	if transport != nil {
		o.Transport = transport(hc).(interface {
			Do(*http.Request) (*http.Response, error)
		})
	}
	c, err := network.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func gatewayURL(e *azure.Emulator, name string) string {
	return e.URL + "/subscriptions/" + e.Subscription + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworkGateways/" + name + "?api-version=" + network.APIVersion
}

// The client against the emulator: a realistic gateway, add, list, the
// operation followed on the emulator's clock, already present, revoke,
// remove.
func TestClientAgainstEmulator(t *testing.T) {
	clk := emutest.NewClock()
	e := start(t, func(c *azure.Config) { c.Now, c.OperationDelay = clk.Now, 25*time.Second })
	var waited time.Duration
	c := client(t, e, nil, func(_ context.Context, d time.Duration) error { waited += d; clk.Advance(d); return nil })
	ctx := context.Background()
	g, err := c.Gateway(ctx, rg, gw)
	if err != nil {
		t.Fatal(err)
	}
	if g.SKU != "VpnGw1" || g.GatewayType != "Vpn" || g.VPNType != "RouteBased" || !g.PointToSite || g.ProvisioningState != "Succeeded" ||
		!strings.HasPrefix(g.ETag, `W/"`) || len(g.Roots) != 0 || g.Location != "westeurope" {
		t.Errorf("Gateway = %+v", g)
	}
	root := newCert(t, "Contoso P2S Root")
	res, err := c.AddRoot(ctx, rg, gw, "", root.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Name != "Contoso-P2S-Root" || res.Gateway.ProvisioningState != "Succeeded" || res.Gateway.ETag == g.ETag {
		t.Errorf("AddRoot = %+v (gateway %+v)", res, res.Gateway)
	}
	// Retry-After said 10 s at most each time; 25 s passed in all.
	if waited < 25*time.Second || waited > 40*time.Second {
		t.Errorf("waited %s for an operation of 25 s", waited)
	}
	if got := e.Network.Roots(rg, gw); !slices.Equal(got, []string{"Contoso-P2S-Root"}) {
		t.Errorf("emulator roots = %v", got)
	}
	puts := countPUTs(e)
	if res, err := c.AddRoot(ctx, rg, gw, "again", root.Raw); err != nil || res.Changed || res.Status != network.StatusAlreadyPresent || countPUTs(e) != puts {
		t.Errorf("AddRoot again = %+v, %v (%d PUTs more)", res, err, countPUTs(e)-puts)
	}
	if _, err := c.AddRevoked(ctx, rg, gw, "lost-laptop", strings.Repeat("ab", 20)); err != nil {
		t.Fatal(err)
	}
	if got := e.Network.Revoked(rg, gw); !slices.Equal(got, []string{strings.Repeat("AB", 20)}) {
		t.Errorf("emulator revoked = %v", got)
	}
	roots, err := c.Roots(ctx, rg, gw)
	if err != nil || len(roots) != 1 || roots[0].PublicCertData != network.PublicCertData(root.Raw) || roots[0].ProvisioningState != "Succeeded" {
		t.Errorf("Roots = %+v, %v", roots, err)
	}
	if res, err := c.RemoveRoot(ctx, rg, gw, "contoso-p2s-root"); err != nil || !res.Changed {
		t.Errorf("RemoveRoot = %+v, %v", res, err)
	}
	if got := e.Network.Roots(rg, gw); len(got) != 0 {
		t.Errorf("emulator roots after remove = %v", got)
	}
	if _, err := c.Gateway(ctx, rg, "nope"); !network.IsNotFound(err) {
		t.Errorf("Gateway(unknown) = %v, want 404", err)
	}
}

func countPUTs(e *azure.Emulator) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Method == http.MethodPut {
			n++
		}
	}
	return n
}

// Writers at once: each meets the others' writes (412) and retries on the
// fresh gateway; no root is lost and none is added twice.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	e := start(t, nil)
	c := client(t, e, nil, nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	conflicts := 0
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.AddRoot(context.Background(), rg, gw, fmt.Sprintf("root%d", i), newCert(t, "r").Raw)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			conflicts += res.Conflicts
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := e.Network.Roots(rg, gw)
	slices.Sort(got)
	if len(got) != n || len(slices.Compact(slices.Clone(got))) != n {
		t.Errorf("roots = %v, want %d distinct", got, n)
	}
	t.Logf("%d conflicts met and retried", conflicts)
}

// roundTripper is an http.Client with a hook before each request.
type hookClient struct {
	hc     *http.Client
	before func(*http.Request)
}

func (h hookClient) Do(r *http.Request) (*http.Response, error) {
	h.before(r)
	return h.hc.Do(r)
}

// A change made by someone else between the client's read and its write
// is kept: the 412 makes the client start over from it.
func TestConcurrentChangeKept(t *testing.T) {
	e := start(t, nil)
	theirs := newCert(t, "theirs")
	once := sync.Once{}
	c := client(t, e, func(hc *http.Client) any {
		return hookClient{hc, func(r *http.Request) {
			if r.Method != http.MethodPut {
				return
			}
			once.Do(func() {
				err := e.Network.Update(rg, gw, func(doc map[string]any) error {
					doc["tags"] = map[string]any{"changedBy": "portal"}
					cfg := doc["properties"].(map[string]any)["vpnClientConfiguration"].(map[string]any)
					cfg["vpnClientRootCertificates"] = []any{map[string]any{"name": "theirs", "properties": map[string]any{"publicCertData": network.PublicCertData(theirs.Raw)}}}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}}
	}, nil)
	res, err := c.AddRoot(context.Background(), rg, gw, "mine", newCert(t, "mine").Raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Conflicts != 1 {
		t.Errorf("conflicts = %d, want 1", res.Conflicts)
	}
	if got := e.Network.Roots(rg, gw); !slices.Equal(got, []string{"theirs", "mine"}) {
		t.Errorf("roots = %v, want theirs kept and mine added", got)
	}
	r := emutest.ARMCall(t, emutest.ARMHTTPClient(t, e), e, http.MethodGet, gatewayURL(e, gw), nil)
	if !strings.Contains(string(r.Body), `"changedBy":"portal"`) {
		t.Errorf("the concurrent change of the tags was lost: %s", r.Body)
	}
}

// Faults in ARM's format are retried by the client's pipeline.
func TestFaults(t *testing.T) {
	e := start(t, nil)
	c := client(t, e, nil, nil)
	e.Inject(emulator.Fault{Kind: emulator.FaultInternalError, Count: 2})
	if _, err := c.AddRoot(context.Background(), rg, gw, "", newCert(t, "root").Raw); err != nil {
		t.Fatalf("AddRoot after two 500s = %v", err)
	}
	e.Inject(emulator.Fault{Kind: emulator.FaultInternalError, Count: 100})
	_, err := c.Gateway(context.Background(), rg, gw)
	var ae *network.Error
	if !errors.As(err, &ae) || !ae.Temporary() || ae.Code != "InternalServerError" {
		t.Errorf("Gateway during an outage = %v, want the last 500 after the retries", err)
	}
	e.ClearFaults()
}

// The emulator's answers, request by request.
func TestEmulatorAnswers(t *testing.T) {
	clk := emutest.NewClock()
	e := start(t, func(c *azure.Config) { c.Now, c.OperationDelay = clk.Now, 15*time.Second })
	hc := emutest.ARMHTTPClient(t, e)
	u := gatewayURL(e, gw)
	get := func() (map[string]any, emutest.Response) {
		r := emutest.ARMCall(t, hc, e, http.MethodGet, u, nil)
		emutest.WantARM(t, "GET", r, http.StatusOK)
		return emutest.DecodeJSON[map[string]any](t, r), r
	}
	doc, r := get()
	etag := doc["etag"].(string)
	if r.Header.Get("ETag") != etag {
		t.Errorf("ETag header %q, body etag %q", r.Header.Get("ETag"), etag)
	}
	cfg := doc["properties"].(map[string]any)["vpnClientConfiguration"].(map[string]any)
	if fmt.Sprint(cfg["vpnClientProtocols"], cfg["vpnAuthenticationTypes"]) != "[IkeV2 OpenVPN] [Certificate]" {
		t.Errorf("vpnClientConfiguration = %v", cfg)
	}
	put := func(doc map[string]any, headers ...string) emutest.Response {
		body, _ := json.Marshal(doc)
		return emutest.ARMCall(t, hc, e, http.MethodPut, u, body, headers...)
	}
	// A stale or foreign etag: 412.
	emutest.WantARMError(t, "PUT stale", put(doc, "If-Match", `W/"00000000-0000-4000-8000-000000000000"`), http.StatusPreconditionFailed, "PreconditionFailed", "etag")
	// 21 roots, bad data, bad thumbprint, duplicate names: 400.
	var roots []any
	for i := range 21 {
		roots = append(roots, map[string]any{"name": fmt.Sprintf("r%d", i), "properties": map[string]any{"publicCertData": network.PublicCertData(newCert(t, "x").Raw)}})
	}
	cfg["vpnClientRootCertificates"] = roots
	emutest.WantARMError(t, "PUT 21 roots", put(doc, "If-Match", etag), http.StatusBadRequest, "VpnClientRootCertificateLimitReached", "at most 20")
	cfg["vpnClientRootCertificates"] = []any{map[string]any{"name": "pem", "properties": map[string]any{"publicCertData": "-----BEGIN CERTIFICATE-----"}}}
	emutest.WantARMError(t, "PUT PEM", put(doc, "If-Match", etag), http.StatusBadRequest, "InvalidVpnClientRootCertificate", "publicCertData")
	cfg["vpnClientRootCertificates"] = []any{map[string]any{"name": "r", "properties": map[string]any{"publicCertData": "AAAA"}}}
	emutest.WantARMError(t, "PUT not a cert", put(doc, "If-Match", etag), http.StatusBadRequest, "InvalidVpnClientRootCertificate", "X.509")
	cfg["vpnClientRootCertificates"] = []any{}
	cfg["vpnClientRevokedCertificates"] = []any{map[string]any{"name": "x", "properties": map[string]any{"thumbprint": "12"}}}
	emutest.WantARMError(t, "PUT bad thumbprint", put(doc, "If-Match", etag), http.StatusBadRequest, "InvalidVpnClientRevokedCertificate", "40 hex")
	cfg["vpnClientRevokedCertificates"] = []any{
		map[string]any{"name": "x", "properties": map[string]any{"thumbprint": strings.Repeat("a", 40)}},
		map[string]any{"name": "X", "properties": map[string]any{"thumbprint": strings.Repeat("b", 40)}}}
	emutest.WantARMError(t, "PUT duplicate", put(doc, "If-Match", etag), http.StatusBadRequest, "DuplicateResourceName", "more than once")
	// A good PUT keeps what else it changed, answers Updating with an
	// operation, and refuses another PUT while it runs.
	cfg["vpnClientRevokedCertificates"] = []any{map[string]any{"name": "x", "properties": map[string]any{"thumbprint": strings.Repeat("a", 40)}}}
	doc["tags"] = map[string]any{"env": "test"}
	doc["properties"].(map[string]any)["customSetting"] = json.Number("1.50")
	r = put(doc, "If-Match", etag)
	emutest.WantARM(t, "PUT", r, http.StatusOK)
	out := emutest.DecodeJSON[map[string]any](t, r)
	if out["properties"].(map[string]any)["provisioningState"] != "Updating" || out["etag"] == etag {
		t.Errorf("PUT answer: provisioningState %v, etag %v (was %s)", out["properties"].(map[string]any)["provisioningState"], out["etag"], etag)
	}
	op := r.Header.Get("Azure-AsyncOperation")
	if !strings.HasPrefix(op, e.URL+"/subscriptions/"+e.Subscription+"/providers/Microsoft.Network/locations/westeurope/operations/") || r.Header.Get("Retry-After") != "10" {
		t.Errorf("Azure-AsyncOperation %q, Retry-After %q", op, r.Header.Get("Retry-After"))
	}
	emutest.WantARMError(t, "PUT while updating", put(out, "If-Match", out["etag"].(string)), http.StatusConflict, "AnotherOperationInProgress", "in progress")
	status := func() string {
		r := emutest.ARMCall(t, hc, e, http.MethodGet, op, nil)
		emutest.WantARM(t, "GET operation", r, http.StatusOK)
		return emutest.DecodeJSON[map[string]any](t, r)["status"].(string)
	}
	if s := status(); s != "InProgress" {
		t.Errorf("operation = %s, want InProgress", s)
	}
	if doc, _ := get(); doc["properties"].(map[string]any)["provisioningState"] != "Updating" {
		t.Error("the gateway is not Updating while its operation runs")
	}
	clk.Advance(15 * time.Second)
	if s := status(); s != "Succeeded" {
		t.Errorf("operation after the delay = %s, want Succeeded", s)
	}
	after, r2 := get()
	if after["properties"].(map[string]any)["provisioningState"] != "Succeeded" || !strings.Contains(string(r2.Body), `"customSetting":1.50`) ||
		!strings.Contains(string(r2.Body), `"env":"test"`) || !strings.Contains(string(r2.Body), strings.Repeat("A", 40)) {
		t.Errorf("after the operation: %s", r2.Body)
	}
	// Authentication, unknown gateway, method, operation.
	emutest.WantARMError(t, "no token", emutest.ARMCall(t, hc, e, http.MethodGet, u, nil, "Authorization", ""), http.StatusUnauthorized, "AuthenticationFailed", "missing")
	emutest.WantARMError(t, "unknown gateway", emutest.ARMCall(t, hc, e, http.MethodGet, gatewayURL(e, "other"), nil), http.StatusNotFound, "ResourceNotFound", "other")
	emutest.WantARMError(t, "DELETE", emutest.ARMCall(t, hc, e, http.MethodDelete, u, nil), http.StatusMethodNotAllowed, "MethodNotAllowed", "GET, PUT")
	emutest.WantARMError(t, "unknown operation", emutest.ARMCall(t, hc, e, http.MethodGet, op[:strings.LastIndex(op, "/")]+"/x?api-version="+network.APIVersion, nil), http.StatusNotFound, "OperationNotFound", "")
	emutest.WantARMError(t, "old api-version", emutest.ARMCall(t, hc, e, http.MethodGet, strings.Replace(u, network.APIVersion, "2015-06-15", 1), nil), http.StatusBadRequest, "InvalidApiVersionParameter", "2015-06-15")
	// API Management still owns its paths.
	r = emutest.ARMCall(t, hc, e, http.MethodGet, e.URL+"/subscriptions/"+e.Subscription+"/resourceGroups/rg/providers/Microsoft.ApiManagement/service/x/certificates?api-version="+emutest.APIMVersion, nil)
	emutest.WantARMError(t, "APIM path", r, http.StatusNotFound, "ResourceNotFound", "Microsoft.ApiManagement")
}

// The gateways and their certificates survive a restart through the
// state file, etag included; a broken member is refused.
func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	e, err := azure.New(azure.Config{StatePath: path, VPNGateways: []string{rg + "/" + gw}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	c := client(t, e, nil, nil)
	ctx := context.Background()
	if _, err := c.AddRoot(ctx, rg, gw, "root", newCert(t, "root").Raw); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRevoked(ctx, rg, gw, "", strings.Repeat("C", 40)); err != nil {
		t.Fatal(err)
	}
	before, err := c.Gateway(ctx, rg, gw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// Restarted without --vpn-gateway: the state file has it.
	e2 := emulatortest.NewServer(t, azure.Config{StatePath: path})
	if got := e2.Network.Gateways(); !slices.Equal(got, []string{rg + "/" + gw}) {
		t.Errorf("Gateways after restart = %v", got)
	}
	after, err := client(t, e2, nil, nil).Gateway(ctx, rg, gw)
	if err != nil {
		t.Fatal(err)
	}
	if after.ETag != before.ETag || fmt.Sprint(after.Roots) != fmt.Sprint(before.Roots) || fmt.Sprint(after.Revoked) != fmt.Sprint(before.Revoked) {
		t.Errorf("after restart %+v, want %+v", after, before)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), network.PublicCertData(mustDER(t, before.Roots[0].PublicCertData)), "bm90IGEgY2VydA==", 1)
	if broken == string(data) {
		t.Fatal("the state file does not hold the root's data")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = azure.New(azure.Config{StatePath: bad})
	var se *emulator.StateError
	if !errors.As(err, &se) {
		t.Errorf("New(state with bad root data) = %v, want a StateError", err)
	}
}

func mustDER(t *testing.T, data string) []byte {
	der, ok := network.DecodePublicCertData(data)
	if !ok {
		t.Fatalf("bad data %q", data)
	}
	return der
}

// Without gateways, the state file has no network member.
func TestStateWithoutGateways(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	e, err := azure.New(azure.Config{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), `"network"`) {
		t.Errorf("state without gateways = %s, want no network member", data)
	}
}
