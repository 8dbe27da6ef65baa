package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

func TestEndpointFor(t *testing.T) {
	tests := []struct {
		cloud, want string
		ok          bool
	}{
		{"", "https://graph.microsoft.com", true},
		{"public", "https://graph.microsoft.com", true},
		{"USGov", "https://graph.microsoft.us", true},
		{"china", "https://microsoftgraph.chinacloudapi.cn", true},
		{"mars", "", false},
	}
	for _, tt := range tests {
		got, err := graph.EndpointFor(tt.cloud)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("EndpointFor(%q) = %q, %v; want %q (ok %v)", tt.cloud, got, err, tt.want, tt.ok)
		}
	}
	if got := graph.Scope("https://microsoftgraph.chinacloudapi.cn/"); got != "https://microsoftgraph.chinacloudapi.cn/.default" {
		t.Errorf("Scope = %q", got)
	}
}

// TestNationalCloudScope: the token is asked for the cloud's own Graph
// scope, and the requests go to that cloud's endpoint.
func TestNationalCloudScope(t *testing.T) {
	for cloud, endpoint := range graph.Endpoints {
		cred := &recordingCred{}
		var got string
		tr := transportFunc(func(r *http.Request) (*http.Response, error) {
			got = r.URL.Scheme + "://" + r.URL.Host + r.URL.Path
			return &http.Response{StatusCode: 404, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		})
		c, err := graph.New(graph.Options{Endpoint: endpoint, Credential: cred, Transport: tr, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Get(context.Background(), graph.Application, "aaaaaaaa-0000-4000-8000-000000000001", false)
		if want := endpoint + "/v1.0/applications/aaaaaaaa-0000-4000-8000-000000000001"; got != want {
			t.Errorf("%s: request to %s, want %s", cloud, got, want)
		}
		if len(cred.scopes) != 1 || cred.scopes[0] != endpoint+"/.default" {
			t.Errorf("%s: token asked for %v, want [%s/.default]", cloud, cred.scopes, endpoint)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []graph.Options{
		{},
		{Endpoint: "http://graph.microsoft.com", Credential: staticToken("t")},
		{Endpoint: "https://graph.microsoft.com/v1.0", Credential: staticToken("t")},
		{Endpoint: "https://graph.microsoft.com?x", Credential: staticToken("t")},
		{Endpoint: "graph.microsoft.com", Credential: staticToken("t")},
	} {
		if _, err := graph.New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	c, err := graph.New(graph.Options{Endpoint: "https://Graph.Microsoft.com/", Credential: staticToken("t")})
	if err != nil || c.Endpoint() != "https://graph.microsoft.com" {
		t.Errorf("New(https://Graph.Microsoft.com/) = %v, %v", c, err)
	}
}

func TestGetAndFind(t *testing.T) {
	g := newFakeGraph(t)
	_, cert := newCert(t, "app.contoso.net")
	app := g.addObject(graph.Application, "contoso-ci", stored(g, cert, "CN=app.contoso.net"))
	sp := g.addObject(graph.ServicePrincipal, "contoso-ci", stored(g, cert, "CN=app.contoso.net"))
	c := newClient(t, g, nil)
	ctx := context.Background()

	o, err := c.Get(ctx, graph.Application, app.id, false)
	if err != nil {
		t.Fatal(err)
	}
	kc := o.KeyCredentials[0]
	if o.ID != app.id || o.AppID != app.appID || o.DisplayName != "contoso-ci" || o.Kind != graph.Application || len(o.KeyCredentials) != 1 {
		t.Fatalf("Get = %+v", o)
	}
	if kc.Key != nil || kc.Thumbprint != thumb(cert.Raw) || kc.KeyID != app.creds[0].keyID || kc.Type != graph.TypeX509Cert ||
		!kc.End.Equal(cert.NotAfter) || !kc.Start.Equal(cert.NotBefore) {
		t.Errorf("without keys: %+v; want no key, thumbprint %s from customKeyIdentifier", kc, thumb(cert.Raw))
	}
	if r := g.requests()[0]; r.Query != "" || r.Auth != "Bearer "+g.token || !graph.ValidID(r.ClientRequestID) {
		t.Errorf("request %+v: want no query, the token, a client-request-id", r)
	}

	o, err = c.Get(ctx, graph.Application, app.id, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.KeyCredentials[0].Key, cert.Raw) {
		t.Errorf("with keys: key %d bytes, want the certificate", len(o.KeyCredentials[0].Key))
	}
	if q := g.requests()[1].Query; q != "$select=id,appId,displayName,keyCredentials" {
		t.Errorf("with keys: query %q", q)
	}

	before := len(g.requests())
	if o, err = c.Find(ctx, graph.Application, app.appID, false); err != nil || o.ID != app.id {
		t.Fatalf("Find(appId) = %+v, %v", o, err)
	}
	if n := len(g.requests()) - before; n != 1 || !strings.HasSuffix(g.requests()[before].Path, "applications(appId='"+app.appID+"')") {
		t.Errorf("Find(appId): %d requests, first %s", n, g.requests()[before].Path)
	}
	before = len(g.requests())
	if o, err = c.Find(ctx, graph.ServicePrincipal, sp.id, true); err != nil || o.ID != sp.id || o.Kind != graph.ServicePrincipal {
		t.Fatalf("Find(object id) = %+v, %v", o, err)
	}
	if n := len(g.requests()) - before; n != 2 {
		t.Errorf("Find(object id): %d requests, want 2 (appId, then id)", n)
	}
	if _, err := c.Find(ctx, graph.Application, "eeeeeeee-0000-4000-8000-000000000000", false); !graph.IsNotFound(err) {
		t.Errorf("Find(unknown) = %v, want not found", err)
	}
	for _, bad := range []string{"", "x", "aaaaaaaa-0000-4000-8000-000000000001')/x", "../servicePrincipals"} {
		if _, err := c.Get(ctx, graph.Application, bad, false); err == nil {
			t.Errorf("Get(%q) succeeded", bad)
		}
	}
	if _, err := c.Get(ctx, graph.Kind("users"), app.id, false); err == nil {
		t.Error("Get(users) succeeded")
	}
}

func TestSetKeyCredentials(t *testing.T) {
	g := newFakeGraph(t)
	_, old := newCert(t, "old.contoso.net")
	_, cert := newCert(t, "new.contoso.net")
	app := g.addObject(graph.Application, "a", stored(g, old, "old"))
	c := newClient(t, g, nil)
	ctx := context.Background()
	o, err := c.Get(ctx, graph.Application, app.id, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	kc := graph.NewKeyCredential(cert, "", start, cert.NotAfter.Add(time.Hour))
	if kc.DisplayName != "CN=new.contoso.net" || !kc.End.Equal(cert.NotAfter) || !kc.Start.Equal(start) || kc.CustomKeyIdentifier != thumb(cert.Raw) {
		t.Errorf("NewKeyCredential = %+v", kc)
	}
	if err := c.SetKeyCredentials(ctx, graph.Application, app.id, append(o.KeyCredentials, kc)); err != nil {
		t.Fatal(err)
	}
	var body struct {
		KeyCredentials []map[string]any `json:"keyCredentials"`
	}
	reqs := g.requests()
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil || len(body.KeyCredentials) != 2 {
		t.Fatalf("PATCH body %s", reqs[len(reqs)-1].Body)
	}
	first, second := body.KeyCredentials[0], body.KeyCredentials[1]
	if first["keyId"] != app.creds[0].keyID || first["customKeyIdentifier"] != app.creds[0].cki || first["displayName"] != "old" ||
		first["endDateTime"] != old.NotAfter.UTC().Format("2006-01-02T15:04:05Z") || first["key"] != base64.StdEncoding.EncodeToString(old.Raw) {
		t.Errorf("the earlier credential is not sent as read: %v", first)
	}
	if _, has := second["keyId"]; has || second["customKeyIdentifier"] != thumb(cert.Raw) || second["type"] != "AsymmetricX509Cert" ||
		second["usage"] != "Verify" || second["startDateTime"] != start.Format("2006-01-02T15:04:05Z") {
		t.Errorf("the new credential: %v", second)
	}
	after, err := c.Get(ctx, graph.Application, app.id, false)
	if err != nil || after.Credential(thumb(cert.Raw)) == nil || after.ByKeyID(app.creds[0].keyID) == nil {
		t.Fatalf("after PATCH: %+v, %v", after, err)
	}
	// The 40 hex digits sent come back as they were, and read as the
	// thumbprint.
	if got := after.Credential(thumb(cert.Raw)); got.CustomKeyIdentifier != thumb(cert.Raw) {
		t.Errorf("customKeyIdentifier = %q", got.CustomKeyIdentifier)
	}

	n := len(g.requests())
	noKey := after.KeyCredentials // read without keys
	if err := c.SetKeyCredentials(ctx, graph.Application, app.id, noKey); err == nil || len(g.requests()) != n {
		t.Errorf("SetKeyCredentials without keys = %v after %d requests; want a refusal before any", err, len(g.requests())-n)
	}
}

// TestAddKeyRemoveKey: addKey and removeKey with a proof that the fake
// verifies (golang-jwt); a proof signed for another object is refused as a
// bad proof.
func TestAddKeyRemoveKey(t *testing.T) {
	g := newFakeGraph(t)
	key, old := newCert(t, "old.contoso.net")
	_, cert := newCert(t, "new.contoso.net")
	app := g.addObject(graph.Application, "a", stored(g, old, "old"))
	c := newClient(t, g, nil)
	ctx := context.Background()
	proof, err := entra.ProofOfPossession(key, old, entra.ProofOptions{ObjectID: app.id})
	if err != nil {
		t.Fatal(err)
	}
	added, err := c.AddKey(ctx, graph.Application, app.id, graph.NewKeyCredential(cert, "", time.Time{}, time.Time{}), proof)
	if err != nil {
		t.Fatal(err)
	}
	if !graph.ValidID(added.KeyID) || added.Thumbprint != thumb(cert.Raw) || added.Key != nil {
		t.Errorf("AddKey = %+v", added)
	}
	var body map[string]any
	reqs := g.requests()
	_ = json.Unmarshal(reqs[len(reqs)-1].Body, &body)
	if _, ok := body["passwordCredential"]; !ok || body["passwordCredential"] != nil || body["proof"] != proof {
		t.Errorf("addKey body %s", reqs[len(reqs)-1].Body)
	}
	if kc := body["keyCredential"].(map[string]any); kc["type"] != "AsymmetricX509Cert" || kc["usage"] != "Verify" || kc["key"] != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Errorf("addKey keyCredential %v", kc)
	}

	wrong, _ := entra.ProofOfPossession(key, old, entra.ProofOptions{ObjectID: "ffffffff-0000-4000-8000-000000000000"})
	err = c.RemoveKey(ctx, graph.Application, app.id, app.creds[0].keyID, wrong)
	if !graph.IsBadProof(err) {
		t.Errorf("RemoveKey with another object's proof = %v, want a bad proof", err)
	}
	if err := c.RemoveKey(ctx, graph.Application, app.id, app.creds[0].keyID, proof); err != nil {
		t.Fatal(err)
	}
	if creds := g.snapshot(app.id); len(creds) != 1 || creds[0].keyID != added.KeyID {
		t.Errorf("after removeKey: %+v", creds)
	}
}

// TestAddKeyNotRetried: addKey is sent once whatever happens; a lost answer
// after it was carried out is found by reading the object, a 500 that
// carried out nothing is returned.
func TestAddKeyNotRetried(t *testing.T) {
	g := newFakeGraph(t)
	key, old := newCert(t, "old.contoso.net")
	_, cert := newCert(t, "new.contoso.net")
	app := g.addObject(graph.Application, "a", stored(g, old, "old"))
	c := newClient(t, g, nil)
	ctx := context.Background()
	proof, _ := entra.ProofOfPossession(key, old, entra.ProofOptions{ObjectID: app.id})
	kc := graph.NewKeyCredential(cert, "", time.Time{}, time.Time{})

	g.fault = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/addKey") {
			g.graphError(w, r, http.StatusInternalServerError, "generalException", "An internal server error occurred.")
			return true
		}
		return false
	}
	if _, err := c.AddKey(ctx, graph.Application, app.id, kc, proof); err == nil || g.count("POST", "/addKey") != 1 {
		t.Fatalf("AddKey after a 500 = %v with %d addKey requests; want the error and 1", err, g.count("POST", "/addKey"))
	}
	g.fault = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !strings.HasSuffix(r.URL.Path, "/addKey") {
			return false
		}
		g.mu.Lock()
		o, _ := g.lookup(strings.TrimPrefix(r.URL.Path, "/v1.0/"))
		g.addKey(httptest.NewRecorder(), r, o, body)
		g.mu.Unlock()
		hijackClose(w)
		return true
	}
	got, err := c.AddKey(ctx, graph.Application, app.id, kc, proof)
	if err != nil || got.Thumbprint != thumb(cert.Raw) {
		t.Fatalf("AddKey with a lost answer = %+v, %v; want the credential found", got, err)
	}
	if n := g.count("POST", "/addKey"); n != 2 {
		t.Errorf("%d addKey requests in all, want 2 (one per call)", n)
	}
	if creds := g.snapshot(app.id); len(creds) != 2 {
		t.Errorf("%d credentials, want 2", len(creds))
	}
}

// TestErrors: Graph's error JSON becomes an *Error with the code, the
// message and the request id; 429 with Retry-After is waited for and
// retried (PATCH included); IsDenied and IsNotFound.
func TestErrors(t *testing.T) {
	g := newFakeGraph(t)
	_, old := newCert(t, "old.contoso.net")
	app := g.addObject(graph.Application, "a", stored(g, old, "old"))
	var retries []graph.RetryInfo
	c := newClient(t, g, func(o *graph.Options) { o.OnRetry = func(r graph.RetryInfo) { retries = append(retries, r) } })
	ctx := context.Background()
	throttled := 0
	g.fault = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		switch {
		case r.Method == http.MethodPatch && throttled < 1:
			throttled++
			w.Header().Set("Retry-After", "0")
			g.graphError(w, r, http.StatusTooManyRequests, graph.CodeThrottled, "Too many requests.")
			return true
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "servicePrincipals"):
			g.graphError(w, r, http.StatusForbidden, graph.CodeDenied, "Insufficient privileges to complete the operation.")
			return true
		}
		return false
	}
	o, err := c.Get(ctx, graph.Application, app.id, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeyCredentials(ctx, graph.Application, app.id, o.KeyCredentials); err != nil {
		t.Fatalf("PATCH after a 429: %v", err)
	}
	if len(retries) != 1 || !strings.HasPrefix(retries[0].Answer, "429 TooManyRequests") {
		t.Errorf("retries %+v, want one after 429 TooManyRequests", retries)
	}
	_, err = c.Get(ctx, graph.ServicePrincipal, app.id, false)
	var e *graph.Error
	if !errors.As(err, &e) || e.StatusCode != 403 || e.Code != graph.CodeDenied || !graph.IsDenied(err) ||
		e.Message != "Insufficient privileges to complete the operation." || !strings.HasPrefix(e.RequestID, "dddddddd-") {
		t.Errorf("403: %#v", err)
	}
	if graph.IsNotFound(err) || graph.IsBadProof(err) {
		t.Errorf("403 reads as not found or bad proof")
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		body, code, msg string
		ok              bool
	}{
		{`{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2026-12-07T05:00:00","request-id":"r","client-request-id":"c"}}}`,
			"Request_ResourceNotFound", "Resource 'x' does not exist.", true},
		{`{"error":{"code":"BadRequest","message":"m","innerError":{"code":"invalidKey","innerError":{"code":"keyTooOld"}}}}`, "keyTooOld", "m", true},
		{`{"error":{"code":"Outer","message":"","innererror":{"code":"Inner","message":"inner message"}}}`, "Inner", "inner message", true},
		{`{"error":{"message":"no code"}}`, "", "no code", false},
		{`{"error":"invalid_client","error_description":"AADSTS700027: x"}`, "", "", false},
		{`<html>502</html>`, "", "", false},
		{``, "", "", false},
	}
	for _, tt := range tests {
		code, msg, ok := graph.ParseError([]byte(tt.body))
		if code != tt.code || ok != tt.ok || (ok && msg != tt.msg) {
			t.Errorf("ParseError(%s) = %q, %q, %v; want %q, %q, %v", tt.body, code, msg, ok, tt.code, tt.msg, tt.ok)
		}
	}
	deep := strings.Repeat(`{"code":"c","innerError":`, 100) + `{}` + strings.Repeat(`}`, 100)
	if code, _, ok := graph.ParseError([]byte(`{"error":` + deep + `}`)); !ok || code != "c" {
		t.Errorf("deep innerError: %q, %v", code, ok)
	}
}

// TestTraceRedacts: the trace shows the requests, the answers and Graph's
// request ids, never the token, a certificate or a proof.
func TestTraceRedacts(t *testing.T) {
	g := newFakeGraph(t)
	key, old := newCert(t, "old.contoso.net")
	_, cert := newCert(t, "new.contoso.net")
	app := g.addObject(graph.Application, "a", stored(g, old, "old"))
	var trace bytes.Buffer
	c := newClient(t, g, func(o *graph.Options) { o.Trace = &trace })
	ctx := context.Background()
	if _, err := c.AddCredential(ctx, graph.Application, app.id, graph.NewKeyCredential(cert, "", time.Time{}, time.Time{})); err != nil {
		t.Fatal(err)
	}
	proof, _ := entra.ProofOfPossession(key, old, entra.ProofOptions{ObjectID: app.id})
	o, _ := c.Get(ctx, graph.Application, app.id, false)
	if err := c.RemoveKey(ctx, graph.Application, app.id, o.Credential(thumb(cert.Raw)).KeyID, proof); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	for _, secret := range []string{g.token, proof[:40], proof[len(proof)-40:], base64.StdEncoding.EncodeToString(old.Raw)[:40], base64.StdEncoding.EncodeToString(cert.Raw)[:40]} {
		if strings.Contains(out, secret) {
			t.Errorf("the trace shows %q", secret)
		}
	}
	for _, want := range []string{"> PATCH " + g.srv.URL + "/v1.0/applications/" + app.id, "< 204 No Content", `"key":"REDACTED"`, `"proof":"REDACTED"`, "Request-Id: dddddddd-", "Authorization: REDACTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q:\n%s", want, out)
		}
	}
}

func TestRedact(t *testing.T) {
	in := `{"keyCredentials":[{"key":"MIIB\"x","keyId":"k1","customKeyIdentifier":"AB"}],"proof" : "eyJ.a.b"}`
	want := `{"keyCredentials":[{"key":"REDACTED","keyId":"k1","customKeyIdentifier":"AB"}],"proof":"REDACTED"}`
	if got := string(graph.Redact([]byte(in))); got != want {
		t.Errorf("Redact = %s\nwant %s", got, want)
	}
}
