// Package network is a thin client for the point-to-site certificates of
// an Azure VPN gateway, through Azure Resource Manager: the root
// certificates a gateway trusts for certificate authentication
// (vpnClientConfiguration.vpnClientRootCertificates) and the client
// certificates it refuses (vpnClientRevokedCertificates).
//
// Both collections are properties of the gateway resource
// (Microsoft.Network/virtualNetworkGateways), so every change is a
// read-modify-write of the whole gateway: GET it, change the one
// collection, PUT everything else back as it was read (unknown members
// included, their values byte for byte), with If-Match: the etag read, so
// that a concurrent change is never overwritten. A 412 Precondition Failed
// (someone else wrote first) re-reads and tries again, a bounded number of
// times. The PUT starts a long-running operation, followed through its
// Azure-AsyncOperation URL (Retry-After honoured) to its end; the gateway is
// then read again to confirm the change.
//
// It runs on the shared Azure transport (pkg/azhttp, the Azure SDK's ARM
// pipeline): bearer tokens from any azcore.TokenCredential, retries with
// back-off that honour Retry-After, and redacted request logging.
//
// References:
// https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways/get
// https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways/create-or-update
// https://learn.microsoft.com/azure/vpn-gateway/point-to-site-certificate-gateway
// https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
// https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/async-api-reference.md
package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/pkg/azhttp"
)

// APIVersion is the Microsoft.Network REST version azcert uses.
const APIVersion = "2024-05-01"

// MaxRoots is the most root certificates a gateway holds: "You can still
// upload 20 root certificates" (VPN Gateway FAQ,
// https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#P2S).
const MaxRoots = 20

// Endpoints of Azure Resource Manager by cloud.
var Endpoints = azhttp.ARMEndpoints

// EndpointFor returns the ARM endpoint of a named cloud.
func EndpointFor(cloudName string) (string, error) { return azhttp.CloudEndpoint(Endpoints, cloudName) }

// Defaults of Options.
const (
	DefaultMaxConflicts = 5
	DefaultPollInterval = 5 * time.Second
	DefaultMaxPolls     = 720
	// MaxPollDelay caps the wait between two polls, whatever Retry-After
	// asks for.
	MaxPollDelay = time.Minute
)

// Options configures a Client.
type Options struct {
	// Endpoint is the ARM base URL; "" means the public cloud's.
	Endpoint string
	// Subscription is the subscription ID (a GUID).
	Subscription string
	// Credential supplies bearer tokens. Required.
	Credential azcore.TokenCredential
	// Transport sends the requests; nil means a default *http.Client.
	Transport policy.Transporter
	// MaxRetries bounds retries of one request; 0 means 4, negative none.
	MaxRetries int
	// RetryDelay is the first back-off delay; 0 means 800 ms.
	RetryDelay time.Duration
	// OnRetry, if set, is called before each retry's back-off, with the
	// answer that failed, the wait and the attempt number.
	OnRetry func(RetryInfo)
	// Trace, if set, receives each request and response line with the
	// Authorization header and any RADIUS secret redacted.
	Trace io.Writer

	// MaxConflicts bounds how often a change is tried again after a
	// concurrent write (412, or 409 AnotherOperationInProgress); 0 means
	// DefaultMaxConflicts.
	MaxConflicts int
	// PollInterval is the wait between polls of an operation whose answer
	// has no Retry-After; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// MaxPolls bounds the polls of one operation; 0 means DefaultMaxPolls.
	MaxPolls int
	// Sleep waits d or until ctx ends; nil means a timer. Tests replace it
	// to run without waiting and to see the waits asked for.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client manages the point-to-site certificates of the VPN gateways of
// one subscription.
type Client struct {
	az           *azhttp.Client
	endpoint     string
	sub          string
	maxConflicts int
	pollInterval time.Duration
	maxPolls     int
	sleep        func(context.Context, time.Duration) error
}

// Error is an ARM error answer: status, code, message, x-ms-request-id
// and x-ms-correlation-request-id.
type Error = azhttp.Error

// RetryInfo describes a retry about to happen.
type RetryInfo = azhttp.RetryInfo

// UnavailableError reports that ARM could not be reached, or gave no
// usable answer.
type UnavailableError = azhttp.UnavailableError

// CredentialError reports that no bearer token could be had.
type CredentialError = azhttp.CredentialError

// StaticToken is a credential that always returns the same bearer token,
// for --access-token and the emulator.
type StaticToken = azhttp.StaticToken

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return azhttp.IsNotFound(err) }

var (
	// Resource group names: 1-90 of letters, digits, _-.() and not ending in a dot.
	rgRE = regexp.MustCompile(`^[-\w._()]{0,89}[-\w_()]$`)
	// Names of Microsoft.Network resources and their child items: 1-80
	// letters, digits, underscores, periods and hyphens, starting with a
	// letter or digit and ending with a letter, digit or underscore
	// (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork).
	nameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)
)

// ValidName reports whether s is a name ARM accepts for a gateway or for
// one of its root or revoked certificates.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ValidResourceGroup reports whether s is a resource group name.
func ValidResourceGroup(s string) bool { return rgRE.MatchString(s) }

// New makes a Client.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, errors.New("network: a credential is required")
	}
	if !azhttp.ValidSubscription(o.Subscription) {
		return nil, fmt.Errorf("subscription %q is not a subscription ID (a GUID)", o.Subscription)
	}
	endpoint, err := azhttp.ARMEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	az, err := azhttp.NewARM(azhttp.Options{
		Module:        "azcert/network",
		Service:       "Azure Resource Manager",
		Transport:     o.Transport,
		MaxAnswerSize: azhttp.DefaultMaxAnswerSize,
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
	c := &Client{az: az, endpoint: endpoint, sub: o.Subscription,
		maxConflicts: o.MaxConflicts, pollInterval: o.PollInterval, maxPolls: o.MaxPolls, sleep: o.Sleep}
	if c.maxConflicts <= 0 {
		c.maxConflicts = DefaultMaxConflicts
	}
	if c.pollInterval <= 0 {
		c.pollInterval = DefaultPollInterval
	}
	if c.maxPolls <= 0 {
		c.maxPolls = DefaultMaxPolls
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	return c, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gatewayURL is the URL of the gateway rg/name, after checking both names.
func (c *Client) gatewayURL(rg, name string) (string, error) {
	if !rgRE.MatchString(rg) {
		return "", fmt.Errorf("resource group %q is not a valid name (1-90 letters, digits, _-.())", rg)
	}
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("VPN gateway %q is not a valid name (1-80 letters, digits, _.-, starting with a letter or digit, ending with a letter, digit or _)", name)
	}
	return fmt.Sprintf("%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworkGateways/%s",
		c.endpoint, url.PathEscape(c.sub), url.PathEscape(rg), url.PathEscape(name)), nil
}

// do sends one request to u (api-version added unless u has one) and
// returns the answer of a status in ok.
func (c *Client) do(ctx context.Context, method, u string, body []byte, ifMatch string, ok ...int) (*http.Response, []byte, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, nil, err
	}
	q := req.Raw().URL.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", APIVersion)
		req.Raw().URL.RawQuery = q.Encode()
	}
	req.Raw().Header.Set("Accept", "application/json")
	if ifMatch != "" {
		req.Raw().Header.Set("If-Match", ifMatch)
	}
	if body != nil {
		if err := azhttp.SetBody(req, body, "application/json"); err != nil {
			return nil, nil, err
		}
	}
	return c.az.Do(req, method+" "+req.Raw().URL.Path, ok...)
}

// Gateway reads the VPN gateway rg/name.
func (c *Client) Gateway(ctx context.Context, rg, name string) (*Gateway, error) {
	u, err := c.gatewayURL(rg, name)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, u, rg)
}

func (c *Client) get(ctx context.Context, u, rg string) (*Gateway, error) {
	resp, data, err := c.do(ctx, http.MethodGet, u, nil, "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	g, err := ParseGateway(data)
	if err != nil {
		return nil, fmt.Errorf("the answer to GET of the gateway: %w", err)
	}
	if g.ETag == "" {
		g.ETag = resp.Header.Get("ETag")
	}
	g.ResourceGroup = rg
	return g, nil
}

// Roots reads the root certificates of the gateway rg/name.
func (c *Client) Roots(ctx context.Context, rg, name string) ([]RootCertificate, error) {
	g, err := c.Gateway(ctx, rg, name)
	if err != nil {
		return nil, err
	}
	return g.Roots, nil
}

// Revoked reads the revoked client certificates of the gateway rg/name.
func (c *Client) Revoked(ctx context.Context, rg, name string) ([]RevokedCertificate, error) {
	g, err := c.Gateway(ctx, rg, name)
	if err != nil {
		return nil, err
	}
	return g.Revoked, nil
}
