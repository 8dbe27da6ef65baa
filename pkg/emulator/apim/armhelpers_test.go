package apim_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/export"
)

// The API Management service the ARM tests use, and azcert's api-version.
const (
	apimRG      = "rg-api"
	apimName    = "contoso-apim"
	apimVersion = "2022-08-01"
)

// armContract is API Management's certificate contract, decoded.
type armContract struct {
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

type armList struct {
	Value    []armContract `json:"value"`
	Count    int           `json:"count"`
	NextLink string        `json:"nextLink"`
}

type armErrorBody struct {
	Code    string         `json:"code"`
	Target  string         `json:"target"`
	Message string         `json:"message"`
	Details []armErrorBody `json:"details"`
}

type armError struct {
	Error armErrorBody `json:"error"`
}

// newARMServer starts a server with the API Management service
// rg-api/contoso-apim; edit adjusts the configuration.
func newARMServer(t *testing.T, edit func(*azure.Config)) *azure.Emulator {
	t.Helper()
	cfg := azure.Config{APIMServices: []string{apimRG + "/" + apimName}}
	if edit != nil {
		edit(&cfg)
	}
	return emulatortest.NewServer(t, cfg)
}

// armHTTPClient is a plain *http.Client that trusts srv and has no client
// certificate, as an ARM client is. It does not follow redirects.
func armHTTPClient(t *testing.T, srv *azure.Emulator) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// certsPath is the certificates collection of rg/name on srv, without the
// query.
func certsPath(srv *azure.Emulator, rg, name string) string {
	return srv.URL + "/subscriptions/" + srv.Subscription + "/resourceGroups/" + rg +
		"/providers/Microsoft.ApiManagement/service/" + name + "/certificates"
}

// apimURL is the URL of certificate id ("" for the collection) of the test
// service, with azcert's api-version.
func apimURL(srv *azure.Emulator, id string) string {
	u := certsPath(srv, apimRG, apimName)
	if id != "" {
		u += "/" + id
	}
	return u + "?api-version=" + apimVersion
}

// armCall sends an ARM request with the server's token and the given extra
// headers ("Authorization" replaces the token; "" removes a header).
func armCall(t *testing.T, c *http.Client, srv *azure.Emulator, method, u string, body []byte, headers ...string) response {
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
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// wantARM checks the status and the request id headers of an ARM answer,
// and the JSON content type when it has a body.
func wantARM(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, r.status, status, r.body)
	}
	for _, h := range []string{"x-ms-request-id", "x-ms-correlation-request-id"} {
		if id := r.header.Get(h); !guidRE.MatchString(id) {
			t.Errorf("%s: %s = %q, want a GUID", what, h, id)
		}
	}
	if len(r.body) != 0 {
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q, want application/json; charset=utf-8", what, ct)
		}
	}
}

// wantARMError checks an ARM error answer: status, headers, code and (when
// message is not "") that the message contains message.
func wantARMError(t *testing.T, what string, r response, status int, code, message string) armErrorBody {
	t.Helper()
	wantARM(t, what, r, status)
	e := decodeJSON[armError](t, r)
	if e.Error.Code != code {
		t.Errorf("%s: code = %q, want %q (message %q)", what, e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" || !strings.Contains(e.Error.Message, message) {
		t.Errorf("%s: message = %q, want it to contain %q", what, e.Error.Message, message)
	}
	return e.Error
}

func decodeJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %T from %q: %v", v, r.body, err)
	}
	return v
}

// pfxOf encodes a fixture certificate and its key as a .pfx.
func pfxOf(t *testing.T, c *certgen.Result, profile export.Profile, password string) []byte {
	t.Helper()
	data, err := export.EncodePFX(c.Key, c.Cert, nil, export.PFXOptions{Profile: profile, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putBody is a Create Or Update body.
func putBody(t *testing.T, pfx []byte, password string) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{"properties": map[string]any{"data": base64.StdEncoding.EncodeToString(pfx), "password": password}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sha1Upper is the thumbprint computed here, independently of package
// export.
func sha1Upper(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// putCert creates certificate id from a fixture certificate and returns
// its ETag.
func putCert(t *testing.T, c *http.Client, srv *azure.Emulator, id string, cert *certgen.Result) string {
	t.Helper()
	r := armCall(t, c, srv, http.MethodPut, apimURL(srv, id), putBody(t, pfxOf(t, cert, export.ProfileCompat, "pw"), "pw"))
	wantARM(t, "PUT "+id, r, http.StatusCreated)
	return r.header.Get("ETag")
}
