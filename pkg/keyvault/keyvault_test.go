package keyvault_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/keyvault"
)

func TestVaultURL(t *testing.T) {
	tests := []struct {
		in, cloud, want string
		ok              bool
	}{
		{"contoso", "", "https://contoso.vault.azure.net", true},
		{"Contoso-KV1", "public", "https://contoso-kv1.vault.azure.net", true},
		{"contoso", "china", "https://contoso.vault.azure.cn", true},
		{"contoso", "USGov", "https://contoso.vault.usgovcloudapi.net", true},
		{"contoso", "mars", "", false},
		{"abc", "", "https://abc.vault.azure.net", true},
		{"ab", "", "", false},
		{strings.Repeat("a", 24), "", "https://" + strings.Repeat("a", 24) + ".vault.azure.net", true},
		{strings.Repeat("a", 25), "", "", false},
		{"1contoso", "", "", false},
		{"contoso-", "", "", false},
		{"con--toso", "", "", false},
		{"con_toso", "", "", false},
		{"contoso.vault.azure.net", "", "", false},
		{"https://contoso.vault.azure.net", "", "https://contoso.vault.azure.net", true},
		{"https://contoso.vault.azure.net/", "china", "https://contoso.vault.azure.net", true},
		{"https://127.0.0.1:8443", "", "https://127.0.0.1:8443", true},
		{"http://contoso.vault.azure.net", "", "", false},
		{"https://", "", "", false},
		{"https://contoso.vault.azure.net/certificates", "", "", false},
		{"https://contoso.vault.azure.net/?x=1", "", "", false},
		{"https://contoso.vault.azure.net/#f", "", "", false},
		{"https://user@contoso.vault.azure.net", "", "", false},
		{"https://%zz", "", "", false},
	}
	for _, tt := range tests {
		got, err := keyvault.VaultURL(tt.in, tt.cloud)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("VaultURL(%q, %q) = %q, %v; want %q (ok %v)", tt.in, tt.cloud, got, err, tt.want, tt.ok)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []keyvault.Options{
		{VaultURL: "https://contoso.vault.azure.net"},
		{VaultURL: "contoso", Credential: &countingCred{}},
		{VaultURL: "http://contoso.vault.azure.net", Credential: &countingCred{}},
	} {
		if _, err := keyvault.New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

// TestChallenge: the first request goes without a token and with an empty
// body; the 401's challenge gives scope and tenant; the request is sent
// again with the token and the body; later requests carry the token at
// once, and one token serves them all.
func TestChallenge(t *testing.T) {
	v := newFakeVault(t)
	cred := &countingCred{}
	c := newClient(t, v, cred, nil)
	pfx, _, _ := testPFX(t, "pw")
	ctx := context.Background()
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pfx, Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := c.Get(ctx, "web", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.List(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := v.requests()
	if len(reqs) != 8 {
		t.Fatalf("7 calls made %d requests, want 8 (one challenge)", len(reqs))
	}
	if reqs[0].Auth != "" || len(reqs[0].Body) != 0 || reqs[0].Method != http.MethodPost {
		t.Errorf("first request: POST with Authorization %q and a %d-byte body, want none and empty", reqs[0].Auth, len(reqs[0].Body))
	}
	if reqs[1].Auth != "Bearer tok-1-secret" || !bytes.Contains(reqs[1].Body, []byte(`"value"`)) {
		t.Errorf("second request: Authorization %q, body %q; want the token and the import body", reqs[1].Auth, reqs[1].Body)
	}
	for i, r := range reqs[2:] {
		if r.Auth != "Bearer tok-1-secret" {
			t.Errorf("request %d: Authorization %q, want the same token at once", i+2, r.Auth)
		}
	}
	if _, ch := v.counts(); ch != 1 || cred.count() != 1 {
		t.Errorf("%d challenges and %d tokens, want 1 and 1", ch, cred.count())
	}
	o := cred.opts[0]
	if len(o.Scopes) != 1 || o.Scopes[0] != "https://127.0.0.1/.default" || o.TenantID != v.tenant {
		t.Errorf("token asked with %+v, want scope https://127.0.0.1/.default and tenant %s", o, v.tenant)
	}
}

// TestChallengeRenewed: a later 401 with a new challenge (another tenant)
// gets a new token for it, and the request goes through.
func TestChallengeRenewed(t *testing.T) {
	v := newFakeVault(t)
	cred := &countingCred{}
	c := newClient(t, v, cred, nil)
	ctx := context.Background()
	if _, err := c.List(ctx); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	v.accept, v.tenant = "Bearer tok-2", "00000000-0000-0000-0000-000000000002"
	v.mu.Unlock()
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("List after the vault's new challenge = %v", err)
	}
	if cred.count() != 2 || cred.opts[1].TenantID != "00000000-0000-0000-0000-000000000002" {
		t.Errorf("tokens %d, last for %+v; want 2, the second for the new tenant", cred.count(), cred.opts)
	}
	if _, err := c.List(ctx); err != nil || cred.count() != 2 {
		t.Errorf("List = %v with %d tokens, want the renewed token reused", err, cred.count())
	}
}

// TestChallengeDomain: a vault at 127.0.0.1 that asks for a token for
// vault.azure.net gets none; a vault at contoso.example.com asking for
// example.com (a parent domain) does.
func TestChallengeDomain(t *testing.T) {
	v := newFakeVault(t)
	v.resource = "https://vault.azure.net"
	cred := &countingCred{}
	c := newClient(t, v, cred, nil)
	_, err := c.List(context.Background())
	var ce *keyvault.CredentialError
	var che *keyvault.ChallengeError
	if !errors.As(err, &ce) || !errors.As(err, &che) || che.Resource != "https://vault.azure.net" {
		t.Fatalf("List = %v, want a *CredentialError holding a *ChallengeError", err)
	}
	if !strings.Contains(err.Error(), `asks for a token for "https://vault.azure.net"`) {
		t.Errorf("error %q does not say what the vault asked for", err)
	}
	if n := len(v.requests()); n != 1 || cred.count() != 0 {
		t.Errorf("%d requests, %d tokens; want 1 and none (refused, not retried)", n, cred.count())
	}

	// contoso.example.com is in the test server's certificate; dial the
	// server whatever the name.
	v2 := newFakeVault(t)
	v2.resource = "https://example.com"
	tr := v2.srv.Client().Transport.(*http.Transport).Clone()
	addr := v2.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig = tr.TLSClientConfig.Clone()
	tr.TLSClientConfig.ServerName = "contoso.example.com"
	defer tr.CloseIdleConnections()
	_, port, _ := net.SplitHostPort(addr)
	cred2 := &countingCred{}
	c2, err := keyvault.New(keyvault.Options{VaultURL: "https://contoso.example.com:" + port, Credential: cred2,
		Transport: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.List(context.Background()); err != nil {
		t.Fatalf("List with a parent-domain challenge = %v", err)
	}
	if cred2.count() != 1 || cred2.opts[0].Scopes[0] != "https://example.com/.default" {
		t.Errorf("tokens %+v, want one for https://example.com/.default", cred2.opts)
	}
}

// TestOperations: each operation's method, path, api-version and body, and
// what it reads from the answer.
func TestOperations(t *testing.T) {
	v := newFakeVault(t)
	c := newClient(t, v, &countingCred{}, nil)
	ctx := context.Background()
	pfx, cert, pemText := testPFX(t, "s3cret")
	sum := sha1.Sum(cert.Raw)
	thumb := strings.ToUpper(hex.EncodeToString(sum[:]))

	disabled := false
	got, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pfx, Password: "s3cret", Enabled: &disabled, Tags: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	last := func() recorded { r := v.requests(); return r[len(r)-1] }
	r := last()
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"value": base64.StdEncoding.EncodeToString(pfx), "pwd": "s3cret",
		"policy":     map[string]any{"secret_props": map[string]any{"contentType": "application/x-pkcs12"}},
		"attributes": map[string]any{"enabled": false}, "tags": map[string]any{"env": "prod"},
	}
	if r.Method != http.MethodPost || r.Path != "/certificates/web/import" || r.Query["api-version"][0] != "7.5" || fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("Import sent %s %s?%v %v,\nwant POST /certificates/web/import?api-version=7.5 %v", r.Method, r.Path, r.Query, body, want)
	}
	if got.Name != "web" || len(got.Version) != 32 || got.ID != v.srv.URL+"/certificates/web/"+got.Version ||
		got.SID != v.srv.URL+"/secrets/web/"+got.Version || got.KID != v.srv.URL+"/keys/web/"+got.Version ||
		got.Thumbprint != thumb || !bytes.Equal(got.CER, cert.Raw) || got.Enabled ||
		got.Tags["env"] != "prod" || got.RecoveryLevel != "Recoverable+Purgeable" || got.ContentType != "application/x-pkcs12" {
		t.Errorf("Import = %+v", got)
	}
	if !got.NotBefore.Equal(time.Unix(1767225600, 0)) || !got.Expires.Equal(time.Unix(1798761600, 0)) || got.Created.IsZero() {
		t.Errorf("Import times: nbf %v exp %v created %v", got.NotBefore, got.Expires, got.Created)
	}

	// PEM: the text itself is the value.
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pemText}); err != nil {
		t.Fatal(err)
	}
	body = nil
	_ = json.Unmarshal(last().Body, &body)
	if body["value"] != string(pemText) || fmt.Sprint(body["policy"]) != "map[secret_props:map[contentType:application/x-pem-file]]" || body["pwd"] != nil || body["attributes"] != nil {
		t.Errorf("PEM import sent %v", body)
	}

	cur, err := c.Get(ctx, "web", "")
	if r := last(); err != nil || r.Method != http.MethodGet || r.Path != "/certificates/web" || cur.Thumbprint != thumb {
		t.Errorf("Get(web) = %+v, %v via %s %s", cur, err, r.Method, r.Path)
	}
	first, err := c.Get(ctx, "web", got.Version)
	if r := last(); err != nil || r.Path != "/certificates/web/"+got.Version || first.ID != got.ID {
		t.Errorf("Get(web, %s) = %+v, %v via %s", got.Version, first, err, r.Path)
	}
	vers, err := c.ListVersions(ctx, "web")
	if r := last(); err != nil || len(vers) != 2 || r.Path != "/certificates/web/versions" || r.Query["maxresults"][0] != "25" ||
		vers[0].Version != got.Version || vers[1].Thumbprint != thumb || vers[1].CER != nil {
		t.Errorf("ListVersions = %+v, %v via %s?%v", vers, err, r.Path, r.Query)
	}
	list, err := c.List(ctx)
	if r := last(); err != nil || len(list) != 1 || r.Path != "/certificates" || list[0].Name != "web" || list[0].Version != "" || list[0].Thumbprint != thumb {
		t.Errorf("List = %+v, %v via %s", list, err, r.Path)
	}

	del, err := c.Delete(ctx, "web")
	if r := last(); err != nil || r.Method != http.MethodDelete || r.Path != "/certificates/web" ||
		del.RecoveryID != v.srv.URL+"/deletedcertificates/web" || !del.DeletedDate.Equal(time.Unix(1767312000, 0)) ||
		!del.ScheduledPurgeDate.Equal(time.Unix(1775088000, 0)) || del.Name != "web" {
		t.Errorf("Delete = %+v, %v via %s %s", del, err, r.Method, r.Path)
	}
	gd, err := c.GetDeleted(ctx, "web")
	if r := last(); err != nil || r.Method != http.MethodGet || r.Path != "/deletedcertificates/web" || gd.RecoveryID != del.RecoveryID {
		t.Errorf("GetDeleted = %+v, %v via %s", gd, err, r.Path)
	}
	rec, err := c.Recover(ctx, "web")
	if r := last(); err != nil || r.Method != http.MethodPost || r.Path != "/deletedcertificates/web/recover" || len(r.Body) != 0 || rec.Name != "web" {
		t.Errorf("Recover = %+v, %v via %s %s", rec, err, r.Method, r.Path)
	}
	if _, err := c.Delete(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	err = c.Purge(ctx, "web")
	if r := last(); err != nil || r.Method != http.MethodDelete || r.Path != "/deletedcertificates/web" {
		t.Errorf("Purge = %v via %s %s", err, r.Method, r.Path)
	}
	for _, r := range v.requests() {
		if r.Query["api-version"][0] != "7.5" {
			t.Errorf("%s %s without api-version 7.5", r.Method, r.Path)
		}
	}
}

func TestLocalRefusals(t *testing.T) {
	v := newFakeVault(t)
	c := newClient(t, v, &countingCred{}, nil)
	ctx := context.Background()
	if _, err := c.Import(ctx, "bad name", keyvault.ImportParams{Value: []byte("x")}); err == nil {
		t.Error("Import with a bad name succeeded")
	}
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{}); err == nil {
		t.Error("Import with no value succeeded")
	}
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{Value: []byte("x"), ContentType: "text/plain"}); err == nil {
		t.Error("Import with content type text/plain succeeded")
	}
	if _, err := c.Get(ctx, "web", "../x"); err == nil {
		t.Error("Get with version ../x succeeded")
	}
	if n := len(v.requests()); n != 0 {
		t.Errorf("%d requests for calls refused locally", n)
	}
}

// TestPaging: List follows nextLink over pages, and refuses a nextLink to
// another host or an endless chain.
func TestPaging(t *testing.T) {
	v := newFakeVault(t)
	c := newClient(t, v, &countingCred{}, nil)
	ctx := context.Background()
	pfx, _, _ := testPFX(t, "")
	for i := 0; i < 60; i++ {
		if _, err := c.Import(ctx, fmt.Sprintf("c%02d", i), keyvault.ImportParams{Value: pfx}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(v.requests())
	list, err := c.List(ctx)
	if err != nil || len(list) != 60 || list[59].Name != "c59" || len(v.requests())-before != 3 {
		t.Fatalf("List = %d items, %v, in %d requests; want 60 in 3 pages", len(list), err, len(v.requests())-before)
	}

	tests := []struct{ name, link string }{
		{"another host", "https://evil.example/certificates?api-version=7.5&$skiptoken=1"},
		{"same host, http", strings.Replace(v.srv.URL, "https", "http", 1) + "/certificates?$skiptoken=1"},
		{"another port", "https://127.0.0.1:1/certificates?$skiptoken=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				writeJSON(w, map[string]any{"value": []any{}, "nextLink": tt.link})
				return true
			}
			before := len(v.requests())
			_, err := c.List(ctx)
			if err == nil || !strings.Contains(err.Error(), "points away from the vault") || len(v.requests())-before != 1 {
				t.Errorf("List with nextLink %s = %v after %d requests, want a refusal after 1", tt.link, err, len(v.requests())-before)
			}
		})
	}
	v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		writeJSON(w, map[string]any{"value": []any{}, "nextLink": v.srv.URL + "/certificates?api-version=7.5&$skiptoken=0"})
		return true
	}
	before = len(v.requests())
	if _, err := c.List(ctx); err == nil || len(v.requests())-before != keyvault.MaxPages {
		t.Errorf("List with an endless nextLink = %v after %d requests, want an error after MaxPages", err, len(v.requests())-before)
	}
}

// TestErrors: Key Vault's error answers as *Error with the innermost code,
// and the helpers that tell them apart.
func TestErrors(t *testing.T) {
	v := newFakeVault(t)
	c := newClient(t, v, &countingCred{}, nil)
	ctx := context.Background()
	pfx, _, _ := testPFX(t, "")

	v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		v.kvError(w, http.StatusForbidden, "Forbidden", "ForbiddenByPolicy",
			"The user, group or application 'appid=...' does not have certificates import permission on key vault 'contoso'.")
		return true
	}
	_, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pfx})
	var e *keyvault.Error
	if !errors.As(err, &e) || e.StatusCode != 403 || e.Code != "ForbiddenByPolicy" || !strings.Contains(e.Message, "certificates import permission") ||
		!keyvault.IsForbidden(err) || keyvault.IsNotFound(err) || e.RequestID == "" {
		t.Errorf("403 = %#v, want ForbiddenByPolicy with its message and request id", err)
	}
	v.fault = nil

	_, err = c.Get(ctx, "nothing", "")
	if !errors.As(err, &e) || e.Code != "CertificateNotFound" || !keyvault.IsNotFound(err) || keyvault.IsForbidden(err) {
		t.Errorf("404 = %v, want CertificateNotFound", err)
	}
	if _, err := c.GetDeleted(ctx, "nothing"); !keyvault.IsNotFound(err) {
		t.Errorf("GetDeleted(nothing) = %v, want a 404", err)
	}

	if _, err := c.Import(ctx, "gone", keyvault.ImportParams{Value: pfx}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Import(ctx, "gone", keyvault.ImportParams{Value: pfx})
	if !errors.As(err, &e) || e.StatusCode != 409 || e.Code != "Conflict" || !keyvault.IsDeletedButRecoverable(err) {
		t.Errorf("409 = %v, want deleted but recoverable", err)
	}
	if keyvault.IsDeletedButRecoverable(&keyvault.Error{StatusCode: 409, Message: "Conflict"}) {
		t.Error("IsDeletedButRecoverable of another 409 = true")
	}

	v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		v.kvError(w, http.StatusBadRequest, "BadParameter", "", "The specified PEM X.509 certificate content is in an unexpected format.")
		return true
	}
	if _, err = c.Import(ctx, "web", keyvault.ImportParams{Value: pfx}); !errors.As(err, &e) || e.Code != "BadParameter" || e.StatusCode != 400 {
		t.Errorf("400 = %v, want BadParameter", err)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		body, code, msg string
		ok              bool
	}{
		{`{"error":{"code":"Forbidden","message":"m","innererror":{"code":"ForbiddenByRbac"}}}`, "ForbiddenByRbac", "m", true},
		{`{"error":{"code":"Forbidden","message":"m","innererror":{"code":"A","innererror":{"code":"B"}}}}`, "B", "m", true},
		{`{"error":{"code":"Forbidden","message":"m","innererror":{"code":""}}}`, "Forbidden", "m", true},
		{`{"error":{"code":"CertificateNotFound","message":"x"}}`, "CertificateNotFound", "x", true},
		{`{"error":{"message":"no code"}}`, "", "no code", false},
		{`{"error":null}`, "", "", false},
		{`<html>502</html>`, "", "", false},
		{``, "", "", false},
	}
	for _, tt := range tests {
		code, msg, ok := keyvault.ParseError([]byte(tt.body))
		if code != tt.code || (ok && msg != tt.msg) || ok != tt.ok {
			t.Errorf("ParseError(%s) = %q, %q, %v; want %q, %q, %v", tt.body, code, msg, ok, tt.code, tt.msg, tt.ok)
		}
	}
}

// TestRetryAfter: a 429 with Retry-After is retried after the wait, the
// import body sent again whole.
func TestRetryAfter(t *testing.T) {
	v := newFakeVault(t)
	var notes []keyvault.RetryInfo
	c := newClient(t, v, &countingCred{}, func(o *keyvault.Options) {
		o.OnRetry = func(r keyvault.RetryInfo) { notes = append(notes, r) }
	})
	pfx, _, _ := testPFX(t, "")
	throttled := false
	v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if throttled {
			return false
		}
		throttled = true
		w.Header().Set("Retry-After", "1")
		v.kvError(w, http.StatusTooManyRequests, "Throttled", "", "Request was not processed because too many requests were received.")
		return true
	}
	start := time.Now()
	if _, err := c.Import(context.Background(), "web", keyvault.ImportParams{Value: pfx}); err != nil {
		t.Fatal(err)
	}
	reqs := v.requests()
	if len(reqs) != 3 || time.Since(start) < 900*time.Millisecond || !bytes.Equal(reqs[1].Body, reqs[2].Body) {
		t.Errorf("%d requests in %v; want challenge, 429, then the same import again after 1 s", len(reqs), time.Since(start))
	}
	if len(notes) != 1 || notes[0].Answer != "429 Throttled" || !notes[0].RetryAfter {
		t.Errorf("OnRetry heard %+v, want one 429 with Retry-After", notes)
	}
}

// TestTrace: the --debug trace shows the challenge and the requests, but
// never the token, the .pfx, the PEM key or the password.
func TestTrace(t *testing.T) {
	v := newFakeVault(t)
	var trace bytes.Buffer
	c := newClient(t, v, &countingCred{}, func(o *keyvault.Options) { o.Trace = &trace })
	pfx, _, pemText := testPFX(t, "Pa55-word-ffe1")
	ctx := context.Background()
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pfx, Password: "Pa55-word-ffe1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(ctx, "web", keyvault.ImportParams{Value: pemText}); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	for _, secret := range []string{"Pa55-word-ffe1", "tok-1-secret", base64.StdEncoding.EncodeToString(pfx)[:40], "PRIVATE KEY", "MIG"} {
		if strings.Contains(out, secret) {
			t.Errorf("the trace holds %q", secret)
		}
	}
	for _, want := range []string{"< 401 Unauthorized", "Www-Authenticate: Bearer authorization=", "Authorization: REDACTED", `"value":"REDACTED"`, `"pwd":"REDACTED"`, "X-Ms-Request-Id: req-"} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q:\n%s", want, out)
		}
	}
}

// TestThumbprintChecked: an answer whose x5t does not match its cer is
// refused.
func TestThumbprintChecked(t *testing.T) {
	v := newFakeVault(t)
	c := newClient(t, v, &countingCred{}, nil)
	_, cert, _ := testPFX(t, "")
	v.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		writeJSON(w, map[string]any{"id": v.srv.URL + "/certificates/web/0123", "x5t": base64.RawURLEncoding.EncodeToString(make([]byte, 20)),
			"cer": base64.StdEncoding.EncodeToString(cert.Raw)})
		return true
	}
	if _, err := c.Get(context.Background(), "web", ""); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("Get with a wrong x5t = %v, want a refusal", err)
	}
}

// import20 imports 20 certificates with one client and returns the TLS
// handshakes, tokens and challenges it took.
func import20(tb testing.TB, v *fakeVault, pfx []byte) (handshakes, tokens, challenges int) {
	h0, ch0 := v.counts()
	cred := &countingCred{}
	c := newClient(tb, v, cred, nil)
	for i := 0; i < 20; i++ {
		if _, err := c.Import(context.Background(), fmt.Sprintf("bench-%02d", i), keyvault.ImportParams{Value: pfx, Password: "pw"}); err != nil {
			tb.Fatal(err)
		}
	}
	h1, ch1 := v.counts()
	return h1 - h0, cred.count(), ch1 - ch0
}

// TestImport20: 20 imports with one client take one connection, one token
// and one challenge.
func TestImport20(t *testing.T) {
	v := newFakeVault(t)
	pfx, _, _ := testPFX(t, "pw")
	if h, tok, ch := import20(t, v, pfx); h != 1 || tok != 1 || ch != 1 {
		t.Errorf("20 imports: %d handshakes, %d tokens, %d challenges; want 1 each", h, tok, ch)
	}
}

// BenchmarkImport20 imports 20 certificates with one client per run and
// reports the handshakes, tokens and challenges per run (1 each).
func BenchmarkImport20(b *testing.B) {
	v := newFakeVault(b)
	pfx, _, _ := testPFX(b, "pw")
	var h, tok, ch int
	runs := 0
	for b.Loop() {
		dh, dt, dc := import20(b, v, pfx)
		h, tok, ch, runs = h+dh, tok+dt, ch+dc, runs+1
	}
	b.ReportMetric(float64(h)/float64(runs), "handshakes/run")
	b.ReportMetric(float64(tok)/float64(runs), "tokens/run")
	b.ReportMetric(float64(ch)/float64(runs), "challenges/run")
	if h != runs || tok != runs || ch != runs {
		b.Errorf("%d runs took %d handshakes, %d tokens, %d challenges; want one each per run", runs, h, tok, ch)
	}
}
