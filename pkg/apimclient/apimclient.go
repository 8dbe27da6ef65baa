// Package apimclient is a thin client for the client certificates of an
// Azure API Management service, through Azure Resource Manager: the
// certificates API Management presents to back ends for mutual TLS.
//
// It runs on the shared Azure transport (pkg/azhttp, the Azure SDK's ARM
// pipeline): bearer tokens from any azcore.TokenCredential, retries with
// back-off that honour Retry-After on 429, and redacted request logging.
// https://learn.microsoft.com/rest/api/apimanagement/certificate
package apimclient

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/export"
)

// APIVersion is the API Management REST version azcert uses.
const APIVersion = "2022-08-01"

// Endpoints of Azure Resource Manager by cloud.
var Endpoints = azhttp.ARMEndpoints

// EndpointFor returns the ARM endpoint of a named cloud.
func EndpointFor(cloudName string) (string, error) { return azhttp.CloudEndpoint(Endpoints, cloudName) }

// MaxAnswerSize bounds the body of an answer the client reads. An ARM page
// of certificates is a few kilobytes per certificate.
const MaxAnswerSize = azhttp.DefaultMaxAnswerSize

// Options configures a Client.
type Options struct {
	// Endpoint is the ARM base URL; "" means the public cloud's.
	Endpoint string
	// Credential supplies bearer tokens. Required.
	Credential azcore.TokenCredential
	// Transport sends the requests; nil means a default *http.Client.
	Transport                            policy.Transporter
	Subscription, ResourceGroup, Service string
	// MaxRetries bounds retries of one request; 0 means 4, negative none.
	MaxRetries int
	// RetryDelay is the first back-off delay; 0 means 800 ms.
	RetryDelay time.Duration
	// OnRetry, if set, is called before each retry's back-off, with the
	// answer that failed, the wait and the attempt number.
	OnRetry func(RetryInfo)
	// Trace, if set, receives each request and response line with the
	// Authorization header and the .pfx data and password redacted.
	Trace io.Writer
}

// Client manages the certificates of one API Management service.
type Client struct {
	az   *azhttp.Client
	base string
}

var (
	// Resource group names: 1-90 of letters, digits, _-.() and not ending in a dot.
	rgRE = regexp.MustCompile(`^[-\w._()]{0,89}[-\w_()]$`)
	// API Management service names: 1-50 letters, digits and hyphens, starting with a letter.
	svcRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,49}$`)
	idRE  = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9-]{0,78}[A-Za-z0-9])?$`)
)

// ValidID reports whether id is a certificate id API Management accepts:
// 1 to 80 letters, digits and hyphens, starting with a letter and ending
// with a letter or digit.
func ValidID(id string) bool { return idRE.MatchString(id) }

// DefaultID derives an id from a certificate: its common name (or first
// DNS name) reduced to letters, digits and hyphens, then the last eight
// characters of the thumbprint, which is how the portal lets users tell
// certificates apart. e.g. "contoso-net-0A1B2C3D".
func DefaultID(cert *x509.Certificate) string {
	name := cert.Subject.CommonName
	if name == "" && len(cert.DNSNames) > 0 {
		name = cert.DNSNames[0]
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	stem := strings.Trim(b.String(), "-")
	for len(stem) > 0 && (stem[0] < 'a' || stem[0] > 'z') {
		stem = strings.TrimLeft(stem[1:], "-")
	}
	if stem == "" {
		stem = "cert"
	}
	if len(stem) > 70 {
		stem = strings.TrimRight(stem[:70], "-")
	}
	tp := export.FormatThumbprint(export.Thumbprint(cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
	return stem + "-" + tp[len(tp)-8:]
}

// New makes a Client for one API Management service.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, errors.New("apimclient: a credential is required")
	}
	if !azhttp.ValidSubscription(o.Subscription) {
		return nil, fmt.Errorf("subscription %q is not a subscription ID (a GUID)", o.Subscription)
	}
	if !rgRE.MatchString(o.ResourceGroup) {
		return nil, fmt.Errorf("resource group %q is not a valid name (1-90 letters, digits, _-.())", o.ResourceGroup)
	}
	if !svcRE.MatchString(o.Service) {
		return nil, fmt.Errorf("API Management service %q is not a valid name (1-50 letters, digits and hyphens, starting with a letter)", o.Service)
	}
	endpoint, err := azhttp.ARMEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	az, err := azhttp.NewARM(azhttp.Options{
		Module:        "azcert/apimclient",
		Service:       "Azure Resource Manager",
		Transport:     o.Transport,
		MaxAnswerSize: MaxAnswerSize,
		Retry:         azhttp.RetryOptions(azhttp.DefaultRetry, o.MaxRetries, o.RetryDelay, 0),
		OnRetry:       o.OnRetry,
		Trace:         o.Trace,
		TraceHeaders:  traceHeaders,
		RedactBody:    Redact,
		ParseError:    azhttp.ParseJSONError,
	}, o.Credential, endpoint)
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/%s/certificates",
		endpoint, url.PathEscape(o.Subscription), url.PathEscape(o.ResourceGroup), url.PathEscape(o.Service))
	return &Client{az: az, base: base}, nil
}

// Certificate is a client certificate of the API Management service.
type Certificate struct {
	ID             string    `json:"id"`
	ResourceID     string    `json:"resourceId"`
	Subject        string    `json:"subject"`
	Thumbprint     string    `json:"thumbprint"`
	ExpirationDate time.Time `json:"expirationDate"`
	ETag           string    `json:"etag,omitempty"`
}

type contract struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		Subject        string    `json:"subject"`
		Thumbprint     string    `json:"thumbprint"`
		ExpirationDate time.Time `json:"expirationDate"`
	} `json:"properties"`
}

func (c contract) cert(etag string) Certificate {
	return Certificate{ID: c.Name, ResourceID: c.ID, Subject: c.Properties.Subject,
		Thumbprint: strings.ToUpper(c.Properties.Thumbprint), ExpirationDate: c.Properties.ExpirationDate, ETag: etag}
}

// Error is an ARM error answer: status, code, message, x-ms-request-id
// and x-ms-correlation-request-id.
type Error = azhttp.Error

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer ("429", "503 ServerBusy"), and the wait.
type RetryInfo = azhttp.RetryInfo

// UnavailableError reports that ARM could not be reached, or gave no
// usable answer. Its message begins "Azure Resource Manager is
// unreachable", "... is unavailable" (it answered, with errors worth
// retrying) or "Azure Resource Manager's answer cannot be used".
type UnavailableError = azhttp.UnavailableError

// CredentialError reports that no bearer token could be had.
type CredentialError = azhttp.CredentialError

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return azhttp.IsNotFound(err) }

func (c *Client) do(ctx context.Context, method, id string, query url.Values, body any, ifMatch string, ok ...int) (*http.Response, []byte, error) {
	u := c.base
	if id != "" {
		u += "/" + url.PathEscape(id)
	}
	return c.doURL(ctx, method, u, query, body, ifMatch, ok...)
}

func (c *Client) doURL(ctx context.Context, method, u string, query url.Values, body any, ifMatch string, ok ...int) (*http.Response, []byte, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, nil, err
	}
	q := req.Raw().URL.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", APIVersion)
	}
	for k, v := range query {
		q[k] = v
	}
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	if ifMatch != "" {
		req.Raw().Header.Set("If-Match", ifMatch)
	}
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		if err := azhttp.SetBody(req, data, "application/json"); err != nil {
			return nil, nil, err
		}
	}
	return c.az.Do(req, method, ok...)
}

// CreateOrUpdate uploads a .pfx under id. ifMatch "" creates (the service
// refuses to replace an existing certificate without it); "*" or an ETag
// replaces. It returns the certificate as the service reports it.
func (c *Client) CreateOrUpdate(ctx context.Context, id string, pfx []byte, password, ifMatch string) (*Certificate, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("certificate id %q is not valid: 1-80 letters, digits and hyphens, starting with a letter and ending with a letter or digit", id)
	}
	body := map[string]any{"properties": map[string]string{
		"data": base64.StdEncoding.EncodeToString(pfx), "password": password,
	}}
	resp, data, err := c.do(ctx, http.MethodPut, id, nil, body, ifMatch, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var ct contract
	if err := json.Unmarshal(data, &ct); err != nil {
		return nil, fmt.Errorf("the answer to PUT %s is not a certificate contract: %w", id, err)
	}
	cert := ct.cert(resp.Header.Get("ETag"))
	return &cert, nil
}

// Get reads one certificate.
func (c *Client) Get(ctx context.Context, id string) (*Certificate, error) {
	resp, data, err := c.do(ctx, http.MethodGet, id, nil, nil, "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	var ct contract
	if err := json.Unmarshal(data, &ct); err != nil {
		return nil, fmt.Errorf("the answer to GET %s is not a certificate contract: %w", id, err)
	}
	cert := ct.cert(resp.Header.Get("ETag"))
	return &cert, nil
}

// MaxPages bounds how many nextLink pages List follows.
const MaxPages = 1000

// List reads every certificate, following nextLink.
func (c *Client) List(ctx context.Context) ([]Certificate, error) {
	var all []Certificate
	next := c.base
	for page := 0; next != ""; page++ {
		if page == MaxPages {
			return nil, fmt.Errorf("more than %d pages of certificates; stopping", MaxPages)
		}
		_, data, err := c.doURL(ctx, http.MethodGet, next, nil, nil, "", http.StatusOK)
		if err != nil {
			return nil, err
		}
		var p struct {
			Value    []contract `json:"value"`
			NextLink string     `json:"nextLink"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("the certificate list is not the expected JSON: %w", err)
		}
		for _, ct := range p.Value {
			all = append(all, ct.cert(""))
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, strings.SplitN(c.base, "/subscriptions/", 2)[0]) {
			return nil, fmt.Errorf("nextLink %q points away from the ARM endpoint", p.NextLink)
		}
		next = p.NextLink
	}
	return all, nil
}

// Delete removes a certificate; ifMatch is "*" or its ETag. It returns
// false when there was nothing to delete.
func (c *Client) Delete(ctx context.Context, id, ifMatch string) (deleted bool, err error) {
	if ifMatch == "" {
		ifMatch = "*"
	}
	resp, _, err := c.do(ctx, http.MethodDelete, id, nil, nil, ifMatch, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return false, err
	}
	return resp.StatusCode == http.StatusOK, nil
}

// StaticToken is a credential that always returns the same bearer token,
// for --access-token and the emulator.
type StaticToken = azhttp.StaticToken
