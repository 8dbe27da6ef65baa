// Package mgmtclient is a thin client for the certificate operations of the
// Azure Service Management API (the classic API at
// management.core.windows.net): management certificates of a subscription
// and service certificates of a cloud service, with operation polling.
//
// It follows Microsoft's reference documentation and what the real service
// was seen to do where the two differ: Add Management Certificate answers
// 201 Created (documented: 200), throttling comes as 503 TooManyRequests
// without Retry-After, list results may carry PKCS#12 blobs instead of DER.
// Requests go through the shared Azure transport (pkg/azhttp, on the Azure
// SDK's azcore pipeline), which retries transport errors, 429, 500, 502,
// 503 and 504 with exponential back-off and jitter and honours Retry-After.
package mgmtclient

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/internal/xmldepth"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/export"
)

// Endpoints of the Service Management API by cloud.
var Endpoints = map[string]string{
	"public": "https://management.core.windows.net",
	"china":  "https://management.core.chinacloudapi.cn",
	"usgov":  "https://management.core.usgovcloudapi.net",
}

// EndpointFor returns the base URL of a named cloud.
func EndpointFor(cloud string) (string, error) { return azhttp.CloudEndpoint(Endpoints, cloud) }

// Options configures a Client.
type Options struct {
	// Endpoint is the base URL, e.g. https://management.core.windows.net.
	Endpoint string
	// Subscription is the subscription ID that prefixes every path.
	Subscription string
	// HTTPClient sends the requests; it carries the management certificate
	// in its TLS configuration (see TLSConfig). Required.
	HTTPClient *http.Client
	// MaxRetries bounds retries of one request; 0 means 4, negative none.
	MaxRetries int
	// OnRetry, if set, is called before each retry's back-off, with the
	// answer that failed, the wait and the attempt number.
	OnRetry func(RetryInfo)
	// RetryDelay is the first back-off delay; 0 means 500 ms.
	RetryDelay time.Duration
	// MaxRetryDelay caps the back-off; 0 means 8 s.
	MaxRetryDelay time.Duration
	// PollInterval is the delay between operation status polls; 0 means 1 s.
	PollInterval time.Duration
	// Trace, if set, receives a line per request and response with
	// passwords and key material redacted.
	Trace io.Writer
}

// Client calls the Service Management API.
type Client struct {
	az           *azhttp.Client
	hc           *http.Client
	base         string
	sub          string
	pollInterval time.Duration
}

// ValidSubscription reports whether s is a subscription ID (a GUID).
func ValidSubscription(s string) bool { return azhttp.ValidSubscription(s) }

// New makes a Client.
func New(o Options) (*Client, error) {
	if o.HTTPClient == nil {
		return nil, errors.New("mgmtclient: an HTTP client with the management certificate is required")
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, fmt.Errorf("endpoint %q is not an https:// URL", o.Endpoint)
	}
	if azhttp.BadPort(u) {
		return nil, fmt.Errorf("endpoint %q: the port is not a number from 1 to 65535", o.Endpoint)
	}
	if !ValidSubscription(o.Subscription) {
		return nil, fmt.Errorf("subscription %q is not a subscription ID (a GUID like 8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36)", o.Subscription)
	}
	retry := azhttp.RetryOptions(policy.RetryOptions{
		MaxRetries:    4,
		RetryDelay:    500 * time.Millisecond,
		MaxRetryDelay: 8 * time.Second,
		// Throttling came as 503 TooManyRequests; 429 is retried too.
		StatusCodes: []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
	}, o.MaxRetries, o.RetryDelay, o.MaxRetryDelay)
	az := azhttp.New(azhttp.Options{
		Module:        "azcert/mgmtclient",
		Transport:     o.HTTPClient,
		MaxAnswerSize: MaxAnswerSize,
		Retry:         retry,
		OnRetry:       o.OnRetry,
		Trace:         o.Trace,
		TraceHeaders:  traceHeaders,
		RedactBody:    Redact,
		ParseError:    parseErrorBody,
		// "POST /<sub>/certificates: " before every error, as always.
		LabelAll: true,
	})
	c := &Client{
		az:           az,
		hc:           o.HTTPClient,
		base:         strings.TrimRight(o.Endpoint, "/"),
		sub:          strings.ToLower(o.Subscription),
		pollInterval: o.PollInterval,
	}
	if c.pollInterval == 0 {
		c.pollInterval = time.Second
	}
	return c, nil
}

// LimitConnections prepares the client for up to n requests at a time
// (n >= 1). The transport keeps up to n idle connections per host, so a
// connection a request is done with serves the next one (HTTP keep-alive)
// instead of being closed, and it opens at most n connections per host: a
// request that finds them all busy waits for one rather than dialling. A
// batch of requests then has at most n connections open at once and costs
// about n TLS handshakes, each of which signs with the management
// certificate's key (a few more on a loaded machine: Go's transport does
// not reuse a connection whose request it had not finished writing within
// 50 ms of the answer). It applies when
// Options.HTTPClient's Transport is an *http.Transport (otherwise it does
// nothing), and must be called before the first request.
func (c *Client) LimitConnections(n int) {
	t, ok := c.hc.Transport.(*http.Transport)
	if !ok || n < 1 {
		return
	}
	t.MaxConnsPerHost = n
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, n)
	if t.MaxIdleConns != 0 {
		t.MaxIdleConns = max(t.MaxIdleConns, n)
	}
}

// CloseIdleConnections closes the kept-alive connections no request is
// using, for a caller that is done with the client.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// TLSConfig returns the client TLS configuration for a management
// certificate: TLS 1.2 or later, the certificate offered to the server,
// and renegotiation accepted, because the real front end asks for the
// client certificate by renegotiating. roots nil means the system roots.
func TLSConfig(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:    tls.VersionTLS12,
		Certificates:  []tls.Certificate{cert},
		RootCAs:       roots,
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
}

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer ("503 TooManyRequests"), and the wait.
type RetryInfo = azhttp.RetryInfo

// Error is an error answer from the service: status, Code, Message and
// x-ms-request-id.
type Error = azhttp.Error

// UnavailableError reports that the service could not be reached, or
// gave no usable answer: a network error or a timeout, after retries. Its
// message begins "Azure is unreachable", "Azure is unavailable" (it
// answered, with errors worth retrying) or "Azure's answer cannot be used".
type UnavailableError = azhttp.UnavailableError

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return azhttp.IsNotFound(err) }

// IsLimit reports an answer that says the subscription has as many
// management certificates as it may have. Its status is undocumented, so
// the message is read.
func IsLimit(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.StatusCode/100 != 4 {
		return false
	}
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "limit") || strings.Contains(m, "maximum") || strings.Contains(m, "quota") || strings.Contains(m, "exceed")
}

// do sends one request and decodes an XML answer into out (if not nil).
// It returns the response headers.
func (c *Client) do(ctx context.Context, method, path string, body any, out any, ok ...int) (http.Header, error) {
	req, err := runtime.NewRequest(ctx, method, c.base+path)
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("x-ms-version", APIVersion)
	req.Raw().Header.Set("Accept", "application/xml")
	if body != nil {
		data, err := xml.Marshal(body)
		if err != nil {
			return nil, err
		}
		if err := azhttp.SetBody(req, append([]byte(xml.Header), data...), "application/xml"); err != nil {
			return nil, err
		}
	}
	resp, data, err := c.az.Do(req, method+" "+path, ok...)
	if resp == nil {
		return nil, err
	}
	if err != nil {
		return resp.Header, err
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := unmarshalBounded(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: the answer is not the expected XML: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// parseErrorBody reads the Code and Message of an <Error> answer.
func parseErrorBody(data []byte) (code, message string, ok bool) {
	var body ErrorBody
	if unmarshalBounded(data, &body) != nil {
		return "", "", false
	}
	return body.Code, body.Message, true
}

// MaxAnswerSize bounds the body of an answer the client reads. Service
// Management answers are a few kilobytes per certificate.
const MaxAnswerSize = azhttp.DefaultMaxAnswerSize

// maxResponseDepth bounds the nesting of an answer. Service Management
// answers nest four levels at most.
const maxResponseDepth = 32

// unmarshalBounded is xml.Unmarshal after refusing nesting deeper than
// maxResponseDepth, which encoding/xml would pay for with memory.
func unmarshalBounded(data []byte, v any) error {
	if err := xmldepth.Check(data, maxResponseDepth); err != nil {
		return err
	}
	return xml.Unmarshal(data, v)
}

// ManagementCertificate is a registered management certificate.
type ManagementCertificate struct {
	Thumbprint string
	Created    time.Time
	// Cert is the parsed certificate, nil if its data could not be read.
	Cert *x509.Certificate
}

// AddManagementCertificate registers cert's public part with the
// subscription (Add Management Certificate).
func (c *Client) AddManagementCertificate(ctx context.Context, cert *x509.Certificate) error {
	body, err := NewSubscriptionCertificate(cert)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, "/"+c.sub+"/certificates", body, nil, http.StatusOK, http.StatusCreated)
	return err
}

// NewSubscriptionCertificate builds the Add Management Certificate body:
// the PKCS#1 public key, the upper-case SHA-1 thumbprint and the DER, all
// of the public certificate only.
func NewSubscriptionCertificate(cert *x509.Certificate) (*SubscriptionCertificate, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("management certificates must have an RSA key, not %s", cert.PublicKeyAlgorithm)
	}
	return &SubscriptionCertificate{
		PublicKey:  base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(pub)),
		Thumbprint: Thumbprint(cert),
		Data:       base64.StdEncoding.EncodeToString(cert.Raw),
	}, nil
}

// Thumbprint is the upper-case SHA-1 hex the API uses.
func Thumbprint(cert *x509.Certificate) string {
	return export.FormatThumbprint(export.Thumbprint(cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
}

// RegisterManagementCertificate adds cert and treats "already registered"
// as success: when the add is refused with a conflict or a bad request (the
// status for a duplicate is undocumented), or a retried add reports a
// conflict, Get decides. It returns true if the certificate was already there.
func (c *Client) RegisterManagementCertificate(ctx context.Context, cert *x509.Certificate) (already bool, err error) {
	err = c.AddManagementCertificate(ctx, cert)
	if err == nil {
		return false, nil
	}
	var e *Error
	if !errors.As(err, &e) || (e.StatusCode != http.StatusConflict && e.StatusCode != http.StatusBadRequest) {
		return false, err
	}
	if _, gerr := c.GetManagementCertificate(ctx, Thumbprint(cert)); gerr == nil {
		return true, nil
	}
	return false, err
}

// ListManagementCertificates lists the subscription's management certificates.
func (c *Client) ListManagementCertificates(ctx context.Context) ([]ManagementCertificate, error) {
	var out SubscriptionCertificates
	if _, err := c.do(ctx, http.MethodGet, "/"+c.sub+"/certificates", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	list := make([]ManagementCertificate, 0, len(out.Certificates))
	for _, sc := range out.Certificates {
		list = append(list, toManagementCertificate(sc))
	}
	return list, nil
}

// GetManagementCertificate gets one management certificate by thumbprint.
func (c *Client) GetManagementCertificate(ctx context.Context, thumbprint string) (*ManagementCertificate, error) {
	var out SubscriptionCertificate
	if _, err := c.do(ctx, http.MethodGet, "/"+c.sub+"/certificates/"+url.PathEscape(strings.ToUpper(thumbprint)), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	m := toManagementCertificate(out)
	return &m, nil
}

// DeleteManagementCertificate removes a management certificate. A 404 is
// returned as an *Error (see IsNotFound); callers deleting may treat it as
// already gone.
func (c *Client) DeleteManagementCertificate(ctx context.Context, thumbprint string) error {
	_, err := c.do(ctx, http.MethodDelete, "/"+c.sub+"/certificates/"+url.PathEscape(strings.ToUpper(thumbprint)), nil, nil, http.StatusOK, http.StatusAccepted, http.StatusNoContent)
	return err
}

func toManagementCertificate(sc SubscriptionCertificate) ManagementCertificate {
	m := ManagementCertificate{Thumbprint: strings.ToUpper(sc.Thumbprint), Cert: ParseCertificateData(sc.Data)}
	if sc.Created != nil {
		m.Created = *sc.Created
	}
	if m.Thumbprint == "" && m.Cert != nil {
		m.Thumbprint = Thumbprint(m.Cert)
	}
	return m
}

// ParseCertificateData reads the base64 certificate data of a list entry:
// usually DER, but for portal-generated certificates a PKCS#12 blob with an
// empty password. It returns nil if neither reads.
func ParseCertificateData(b64 string) *x509.Certificate {
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(data) == 0 {
		return nil
	}
	if cert, err := x509.ParseCertificate(data); err == nil {
		return cert
	}
	if b, err := export.Load(data, nil); err == nil {
		return b.Cert
	}
	return nil
}

// ServiceCertificate is a certificate of a cloud service.
type ServiceCertificate struct {
	Thumbprint          string
	ThumbprintAlgorithm string
	URL                 string
	Cert                *x509.Certificate
}

func (c *Client) servicePath(service string) string {
	return "/" + c.sub + "/services/hostedservices/" + url.PathEscape(service) + "/certificates"
}

// AddServiceCertificate uploads a .pfx (format "pfx", with its password)
// or .cer ("cer") to a cloud service. The service answers 202 Accepted; the
// returned request ID is for GetOperationStatus / WaitOperation.
func (c *Client) AddServiceCertificate(ctx context.Context, service string, data []byte, format, password string) (requestID string, err error) {
	body := &CertificateFile{Data: base64.StdEncoding.EncodeToString(data), Format: format}
	if format == "pfx" {
		body.Password = password
	}
	h, err := c.do(ctx, http.MethodPost, c.servicePath(service), body, nil, http.StatusOK, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	return h.Get("x-ms-request-id"), nil
}

// ListServiceCertificates lists the certificates of a cloud service.
func (c *Client) ListServiceCertificates(ctx context.Context, service string) ([]ServiceCertificate, error) {
	var out Certificates
	if _, err := c.do(ctx, http.MethodGet, c.servicePath(service), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	list := make([]ServiceCertificate, 0, len(out.Certificates))
	for _, sc := range out.Certificates {
		list = append(list, ServiceCertificate{
			Thumbprint: strings.ToUpper(sc.Thumbprint), ThumbprintAlgorithm: sc.ThumbprintAlgorithm,
			URL: sc.CertificateURL, Cert: ParseCertificateData(sc.Data),
		})
	}
	return list, nil
}

// GetServiceCertificate gets one certificate of a cloud service.
func (c *Client) GetServiceCertificate(ctx context.Context, service, thumbprint string) (*ServiceCertificate, error) {
	var out Certificate
	if _, err := c.do(ctx, http.MethodGet, c.servicePath(service)+"/sha1-"+strings.ToUpper(thumbprint), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &ServiceCertificate{Thumbprint: strings.ToUpper(out.Thumbprint), ThumbprintAlgorithm: out.ThumbprintAlgorithm,
		URL: out.CertificateURL, Cert: ParseCertificateData(out.Data)}, nil
}

// DeleteServiceCertificate deletes a certificate of a cloud service. The
// deletion is asynchronous: a non-empty request ID is for WaitOperation.
func (c *Client) DeleteServiceCertificate(ctx context.Context, service, thumbprint string) (requestID string, err error) {
	h, err := c.do(ctx, http.MethodDelete, c.servicePath(service)+"/sha1-"+strings.ToUpper(thumbprint), nil, nil, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	return h.Get("x-ms-request-id"), nil
}

// GetOperationStatus reads the status of an asynchronous operation.
func (c *Client) GetOperationStatus(ctx context.Context, requestID string) (*Operation, error) {
	var out Operation
	if _, err := c.do(ctx, http.MethodGet, "/"+c.sub+"/operations/"+url.PathEscape(requestID), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// OperationError is an asynchronous operation that ended Failed.
type OperationError struct {
	RequestID string
	Operation *Operation
}

func (e *OperationError) Error() string {
	op := e.Operation
	msg := fmt.Sprintf("operation %s failed", e.RequestID)
	if op.HTTPStatusCode != 0 {
		msg += fmt.Sprintf(" with %d", op.HTTPStatusCode)
	}
	if op.Error != nil {
		msg += fmt.Sprintf(": %s: %s", op.Error.Code, strings.TrimSpace(op.Error.Message))
	}
	return msg
}

// WaitOperation polls until the operation is Succeeded or Failed, or ctx
// ends. A Failed operation returns *OperationError.
func (c *Client) WaitOperation(ctx context.Context, requestID string) (*Operation, error) {
	if requestID == "" {
		return nil, errors.New("the service returned no request id to follow")
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, &UnavailableError{Err: fmt.Errorf("operation %s still in progress: %w", requestID, ctx.Err())}
		case <-t.C:
		}
		op, err := c.GetOperationStatus(ctx, requestID)
		if err != nil {
			if ctx.Err() != nil {
				// The time ran out while polling: say so, not "unreachable".
				return nil, &UnavailableError{Err: fmt.Errorf("operation %s still in progress: %w", requestID, ctx.Err())}
			}
			return nil, err
		}
		switch op.Status {
		case StatusSucceeded:
			return op, nil
		case StatusFailed:
			return op, &OperationError{RequestID: requestID, Operation: op}
		}
		t.Reset(c.pollInterval)
	}
}
