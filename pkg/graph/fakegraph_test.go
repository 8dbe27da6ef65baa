package graph_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

// recorded is one request as the fake Graph saw it.
type recorded struct {
	Method, Path, Query, Auth, ClientRequestID string
	Body                                       []byte
}

// fakeCred is a stored keyCredential.
type fakeCred struct {
	keyID, name, cki, typ, usage string
	key                          []byte
	start, end                   time.Time
}

type fakeObj struct {
	kind, id, appID, name string
	creds                 []fakeCred
}

// fakeGraph is a small Microsoft Graph for the client's tests, written from
// the v1.0 reference: applications and servicePrincipals addressed by id or
// (appId='...'), keys returned only with $select=keyCredentials, PATCH
// replacing the whole collection (every element needs its key), addKey and
// removeKey checking the proof of possession, Graph's error JSON. Hooks
// let a test fail a request before it is carried out (fault), change the
// object around a PATCH (a concurrent writer), or lose the answer of a
// PATCH carried out.
type fakeGraph struct {
	srv   *httptest.Server
	token string

	mu     sync.Mutex
	reqs   []recorded
	objs   map[string]*fakeObj
	seq    int
	fault  func(w http.ResponseWriter, r *http.Request, body []byte) bool
	before func(n int, o *fakeObj)
	// after runs once PATCH n is applied; "reset" closes the connection
	// with no answer, "500" answers 500, "" answers 204.
	after   func(n int, o *fakeObj) string
	patches int
}

func newFakeGraph(tb testing.TB) *fakeGraph {
	tb.Helper()
	g := &fakeGraph{token: "graph-token-secret-51f3", objs: map[string]*fakeObj{}}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(g.serve))
	tb.Cleanup(g.srv.Close)
	return g
}

// addObject registers an application (or service principal) with creds.
func (g *fakeGraph) addObject(kind graph.Kind, name string, creds ...fakeCred) *fakeObj {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	o := &fakeObj{kind: string(kind), id: fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", g.seq),
		appID: fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", g.seq), name: name, creds: creds}
	g.objs[o.id] = o
	return o
}

// snapshot returns a copy of an object's credentials.
func (g *fakeGraph) snapshot(id string) []fakeCred {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]fakeCred(nil), g.objs[id].creds...)
}

func (g *fakeGraph) requests() []recorded {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]recorded(nil), g.reqs...)
}

// count counts the requests with method whose path ends with suffix.
func (g *fakeGraph) count(method, suffix string) int {
	n := 0
	for _, r := range g.requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func (g *fakeGraph) newID() string {
	g.seq++
	return fmt.Sprintf("cccccccc-0000-4000-8000-%012d", g.seq)
}

func (g *fakeGraph) graphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]any{"date": "2026-12-07T05:00:00", "request-id": w.Header().Get("request-id"),
			"client-request-id": r.Header.Get("client-request-id")}}})
}

func (g *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.reqs = append(g.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("client-request-id"), body})
	n := len(g.reqs)
	fault := g.fault
	g.mu.Unlock()
	w.Header().Set("request-id", fmt.Sprintf("dddddddd-0000-4000-8000-%012d", n))
	if id := r.Header.Get("client-request-id"); id != "" {
		w.Header().Set("client-request-id", id)
	}
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		g.graphError(w, r, http.StatusUnauthorized, graph.CodeInvalidToken, "Access token is empty.")
		return
	}
	if fault != nil && fault(w, r, body) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/")
	if !ok {
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "Invalid version.")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	o, action := g.lookup(rest)
	switch {
	case o == nil:
		g.graphError(w, r, http.StatusNotFound, graph.CodeNotFound, fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", rest))
	case action == "" && r.Method == http.MethodGet:
		keys := strings.Contains(r.URL.Query().Get("$select"), "keyCredentials")
		g.writeJSON(w, g.object(o, keys))
	case action == "" && r.Method == http.MethodPatch:
		g.patch(w, r, o, body)
	case action == "addKey" && r.Method == http.MethodPost:
		g.addKey(w, r, o, body)
	case action == "removeKey" && r.Method == http.MethodPost:
		g.removeKey(w, r, o, body)
	default:
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "Unsupported request.")
	}
}

// lookup finds the object of "applications/{id}[/action]" or
// "applications(appId='{appId}')[/action]"; the kind must match.
func (g *fakeGraph) lookup(rest string) (*fakeObj, string) {
	parts := strings.Split(rest, "/")
	kind, appID, byApp := strings.Cut(parts[0], "(appId='")
	var id string
	switch {
	case byApp && strings.HasSuffix(appID, "')") && len(parts) <= 2:
		appID = strings.TrimSuffix(appID, "')")
		parts = parts[1:]
	case !byApp && len(parts) >= 2 && len(parts) <= 3:
		id = parts[1]
		parts = parts[2:]
	default:
		return nil, ""
	}
	action := strings.Join(parts, "/")
	for _, o := range g.objs {
		if o.kind == kind && ((byApp && strings.EqualFold(o.appID, appID)) || (!byApp && strings.EqualFold(o.id, id))) {
			return o, action
		}
	}
	return nil, ""
}

func (g *fakeGraph) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func wireCred(c fakeCred, withKey bool) map[string]any {
	m := map[string]any{"customKeyIdentifier": c.cki, "displayName": c.name, "endDateTime": c.end.UTC().Format("2006-01-02T15:04:05Z"),
		"key": nil, "keyId": c.keyID, "startDateTime": c.start.UTC().Format("2006-01-02T15:04:05Z"), "type": c.typ, "usage": c.usage}
	if withKey {
		m["key"] = base64.StdEncoding.EncodeToString(c.key)
	}
	return m
}

func (g *fakeGraph) object(o *fakeObj, keys bool) map[string]any {
	creds := []map[string]any{}
	for _, c := range o.creds {
		creds = append(creds, wireCred(c, keys))
	}
	m := map[string]any{"@odata.context": g.srv.URL + "/v1.0/$metadata#" + o.kind + "/$entity",
		"id": o.id, "appId": o.appID, "displayName": o.name, "keyCredentials": creds}
	if o.kind == string(graph.ServicePrincipal) {
		m["appDisplayName"] = o.name
	}
	return m
}

// credFromWire reads a keyCredential of a request; the key must be a
// certificate.
func (g *fakeGraph) credFromWire(m map[string]any) (fakeCred, string) {
	key, _ := m["key"].(string)
	if key == "" {
		return fakeCred{}, "Key credential must have a key."
	}
	der, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return fakeCred{}, "Invalid key value."
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fakeCred{}, "Invalid certificate: key value is invalid certificate"
	}
	c := fakeCred{key: der, start: cert.NotBefore, end: cert.NotAfter}
	c.keyID, _ = m["keyId"].(string)
	c.name, _ = m["displayName"].(string)
	c.cki, _ = m["customKeyIdentifier"].(string)
	c.typ, _ = m["type"].(string)
	c.usage, _ = m["usage"].(string)
	if c.keyID == "" {
		c.keyID = g.newID()
	}
	if c.cki == "" {
		// Graph's default: the thumbprint (stored as its 20 bytes).
		sum := sha1.Sum(der)
		c.cki = base64.StdEncoding.EncodeToString(sum[:])
	}
	for name, t := range map[string]*time.Time{"startDateTime": &c.start, "endDateTime": &c.end} {
		if s, _ := m[name].(string); s != "" {
			v, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return fakeCred{}, "Invalid " + name
			}
			*t = v
		}
	}
	return c, ""
}

func (g *fakeGraph) patch(w http.ResponseWriter, r *http.Request, o *fakeObj, body []byte) {
	var req struct {
		KeyCredentials []map[string]any `json:"keyCredentials"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "Invalid request body.")
		return
	}
	creds := []fakeCred{}
	for _, m := range req.KeyCredentials {
		c, msg := g.credFromWire(m)
		if msg != "" {
			g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, msg)
			return
		}
		creds = append(creds, c)
	}
	g.patches++
	if g.before != nil {
		g.before(g.patches, o)
	}
	o.creds = creds
	outcome := ""
	if g.after != nil {
		outcome = g.after(g.patches, o)
	}
	switch outcome {
	case "reset":
		hijackClose(w)
	case "500":
		g.graphError(w, r, http.StatusInternalServerError, "generalException", "An internal server error occurred.")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func hijackClose(w http.ResponseWriter) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

// checkProof verifies a proof of possession: RS256 by the key of one of
// o's current, valid certificates named by x5t, aud Azure AD Graph, iss o's
// object id, a lifetime of at most 10 minutes.
func (g *fakeGraph) checkProof(o *fakeObj, proof string) error {
	var exp, nbf time.Time
	now := time.Now()
	tok, err := jwt.Parse(proof, func(t *jwt.Token) (any, error) {
		x5t, _ := t.Header["x5t"].(string)
		for _, c := range o.creds {
			sum := sha1.Sum(c.key)
			if base64.RawURLEncoding.EncodeToString(sum[:]) == x5t && !now.Before(c.start) && now.Before(c.end) {
				cert, err := x509.ParseCertificate(c.key)
				if err != nil {
					return nil, err
				}
				return cert.PublicKey, nil
			}
		}
		return nil, errors.New("no current certificate credential with that x5t")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(entra.GraphAudience), jwt.WithIssuer(o.id),
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	if e, err := tok.Claims.GetExpirationTime(); err == nil && e != nil {
		exp = e.Time
	}
	if n, err := tok.Claims.GetNotBefore(); err == nil && n != nil {
		nbf = n.Time
	}
	if nbf.IsZero() || exp.Sub(nbf) > 10*time.Minute {
		return errors.New("the proof's lifetime is more than 10 minutes")
	}
	return nil
}

func (g *fakeGraph) addKey(w http.ResponseWriter, r *http.Request, o *fakeObj, body []byte) {
	var req struct {
		KeyCredential map[string]any `json:"keyCredential"`
		Proof         string         `json:"proof"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "Invalid request body.")
		return
	}
	if err := g.checkProof(o, req.Proof); err != nil {
		g.graphError(w, r, http.StatusUnauthorized, graph.CodeMalformedAuth, "Access Token missing or malformed.")
		return
	}
	c, msg := g.credFromWire(req.KeyCredential)
	if msg != "" {
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, msg)
		return
	}
	o.creds = append(o.creds, c)
	out := wireCred(c, false)
	out["@odata.context"] = g.srv.URL + "/v1.0/$metadata#microsoft.graph.keyCredential"
	g.writeJSON(w, out)
}

func (g *fakeGraph) removeKey(w http.ResponseWriter, r *http.Request, o *fakeObj, body []byte) {
	var req struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		g.graphError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "Invalid request body.")
		return
	}
	if err := g.checkProof(o, req.Proof); err != nil {
		g.graphError(w, r, http.StatusUnauthorized, graph.CodeMalformedAuth, "Access Token missing or malformed.")
		return
	}
	for i, c := range o.creds {
		if strings.EqualFold(c.keyID, req.KeyID) {
			o.creds = append(o.creds[:i], o.creds[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	g.graphError(w, r, http.StatusNotFound, graph.CodeNotFound, "No key credential found with keyId "+req.KeyID+".")
}

type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// newClient makes a client for g with its own connection pool.
func newClient(tb testing.TB, g *fakeGraph, mod func(*graph.Options)) *graph.Client {
	tb.Helper()
	tr := g.srv.Client().Transport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	o := graph.Options{Endpoint: g.srv.URL, Credential: staticToken(g.token), Transport: &http.Client{Transport: tr},
		RetryDelay: time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	c, err := graph.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// newCert makes a certificate for the shared test key, valid from a day ago
// for a year (or as notAfter says when non-zero).
func newCert(tb testing.TB, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	tb.Helper()
	key, err := testKey()
	if err != nil {
		tb.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now().Truncate(time.Second)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return key, cert
}

// stored is the fake's credential of cert, as if registered earlier
// through the portal (customKeyIdentifier the thumbprint's bytes).
func stored(g *fakeGraph, cert *x509.Certificate, name string) fakeCred {
	g.mu.Lock()
	defer g.mu.Unlock()
	return storedLocked(g, cert, name)
}

// storedLocked is stored for a hook, which runs with g.mu held.
func storedLocked(g *fakeGraph, cert *x509.Certificate, name string) fakeCred {
	id := g.newID()
	sum := sha1.Sum(cert.Raw)
	return fakeCred{keyID: id, name: name, cki: base64.StdEncoding.EncodeToString(sum[:]), typ: graph.TypeX509Cert,
		usage: graph.UsageVerify, key: cert.Raw, start: cert.NotBefore, end: cert.NotAfter}
}

func thumb(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
