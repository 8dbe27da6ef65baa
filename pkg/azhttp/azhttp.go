// Package azhttp is the one HTTP transport of azcert's Azure clients: the
// Azure SDK's pipeline (azcore) set up the same way for every service, the
// redacting trace behind --debug, and the errors a failed call turns into.
//
// A client (Service Management, Azure Resource Manager, and the services
// that come next) says in Options what is particular to it: its retry
// defaults, the headers its trace may show, how to hide the secrets of its
// bodies, and how to read its error answers. It gets a Client whose Do
// sends a request and returns the answer, an *Error for an error answer,
// or an *UnavailableError when no usable answer came. The client keeps
// only its API: paths, bodies, paging, operations.
//
// The pipeline retries transport errors and the status codes of
// Options.Retry with exponential back-off and jitter, and honours
// Retry-After (azcore's retry policy); it reads at most
// Options.MaxAnswerSize bytes of an answer; and it tells Options.OnRetry
// of each retry before its back-off.
package azhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/internal/httplimit"
	"github.com/azcert/azcert/internal/retrynote"
)

// DefaultMaxAnswerSize is the bound on an answer's body when
// Options.MaxAnswerSize is 0. Azure's certificate answers are a few
// kilobytes per certificate.
const DefaultMaxAnswerSize = 16 << 20

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer ("503 TooManyRequests", "429"), and the wait.
type RetryInfo = retrynote.Retry

// TooLargeError reports an answer larger than Options.MaxAnswerSize. It
// is the Err of an *UnavailableError (errors.As finds it).
type TooLargeError = httplimit.TooLargeError

// Untrusted reports an error that says the server's TLS certificate did
// not verify (unknown authority, wrong name, expired): a trust problem on
// this side that retrying cannot change, so the pipeline does not retry it.
func Untrusted(err error) bool { return retrynote.Untrusted(err) }

// Options configures a Client.
type Options struct {
	// Module names the client in the User-Agent ("azcert/mgmtclient").
	Module string
	// Service names the service in errors: "Azure" when empty, or e.g.
	// "Azure Resource Manager".
	Service string
	// Transport sends the requests; nil means an *http.Client with Go's
	// defaults.
	Transport policy.Transporter
	// MaxAnswerSize bounds the body of an answer; 0 means
	// DefaultMaxAnswerSize. A larger answer fails while it is read, and
	// is not asked for again.
	MaxAnswerSize int64
	// Retry is the retry policy: attempts, back-off, and the status codes
	// worth retrying (nil: azcore's 408, 429, 500, 502, 503, 504). See
	// RetryOptions for a client's defaults with a caller's overrides.
	Retry policy.RetryOptions
	// OnRetry, if set, is called before each retry's back-off, with the
	// answer that failed, the wait and the attempt number.
	OnRetry func(RetryInfo)
	// Trace, if set, receives a line per request and answer of each try
	// (the --debug trace). Header values not in TraceHeaders are
	// REDACTED, and bodies go through RedactBody.
	Trace io.Writer
	// TraceHeaders are the headers whose values the trace shows, in any
	// case ("x-ms-request-id"). Credentials must not be among them.
	TraceHeaders []string
	// RedactBody returns a body with its secrets (passwords, private key
	// material) hidden, for the trace. nil leaves bodies out of the trace.
	RedactBody func(body []byte) []byte
	// ParseError reads the code and message of an error answer's body;
	// ok false means the body is not in the service's error shape, and
	// its text becomes the message. nil means ParseJSONError.
	ParseError func(body []byte) (code, message string, ok bool)
	// LabelAll names the request (Do's label) in every *UnavailableError.
	// Without it, only the errors of a call the time limit cut short carry
	// the label, because their cause (the context's error) names no
	// request, while a transport error names the method and URL itself.
	LabelAll bool
}

// RetryOptions returns a client's retry defaults with a caller's
// overrides: maxRetries 0 keeps the default and a negative one means no
// retries; a delay or maxDelay of 0 keeps the default.
func RetryOptions(defaults policy.RetryOptions, maxRetries int, delay, maxDelay time.Duration) policy.RetryOptions {
	if maxRetries != 0 {
		defaults.MaxRetries = int32(maxRetries)
	}
	if delay != 0 {
		defaults.RetryDelay = delay
	}
	if maxDelay != 0 {
		defaults.MaxRetryDelay = maxDelay
	}
	return defaults
}

// Client sends requests through one azcore pipeline and turns failures
// into *Error, *UnavailableError and *CredentialError.
type Client struct {
	pl       runtime.Pipeline
	service  string
	labelAll bool
	parse    func([]byte) (string, string, bool)
}

// New makes a Client whose pipeline adds no authentication: the caller's
// transport carries it (mutual TLS, as for Service Management).
func New(o Options) *Client {
	co := o.clientOptions()
	return o.client(runtime.NewPipeline(o.Module, "v1", o.pipelineOptions(), &co))
}

// NewARM makes a Client for Azure Resource Manager at endpoint (an
// https:// base URL without a trailing slash): bearer tokens from cred for
// the endpoint's audience, and no resource provider registration.
// Failures to get a token come back from Do as *CredentialError.
func NewARM(o Options, cred azcore.TokenCredential, endpoint string) (*Client, error) {
	if cred == nil {
		return nil, errors.New("azhttp: a credential is required")
	}
	copts := &arm.ClientOptions{
		ClientOptions: o.clientOptions(),
		// Registering resource providers is not azcert's business.
		DisableRPRegistration: true,
	}
	copts.Cloud = cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: endpoint, Audience: ARMAudience(endpoint)},
	}}
	pl, err := armruntime.NewPipeline(o.Module, "v1", markingCredential{cred}, o.pipelineOptions(), copts)
	if err != nil {
		return nil, err
	}
	return o.client(pl), nil
}

// NewBearer makes a Client that authorizes each request with a bearer
// token from cred through azcore's BearerTokenPolicy, steered by handler
// (policy.AuthorizationHandler): the way of a service that names its token
// scope and tenant in an authentication challenge, as Key Vault does. With
// a zero handler the policy asks for scopes, like NewARM.
//
// The policy runs on each try, below the retry policy and above the trace,
// so the trace shows every exchange it makes (a challenge's 401, then the
// authorized request) with the Authorization header REDACTED. Failures to
// get a token come back from Do as *CredentialError; a handler's error
// does too when it is, or wraps, a *CredentialError.
func NewBearer(o Options, cred azcore.TokenCredential, scopes []string, handler policy.AuthorizationHandler) (*Client, error) {
	if cred == nil {
		return nil, errors.New("azhttp: a credential is required")
	}
	auth := runtime.NewBearerTokenPolicy(markingCredential{cred}, scopes, &policy.BearerTokenOptions{AuthorizationHandler: handler})
	co := o.clientOptions()
	return o.client(runtime.NewPipeline(o.Module, "v1", o.pipelineOptions(auth), &co)), nil
}

// ARMAudience returns the token audience of an ARM endpoint: the known
// clouds' own, and for any other endpoint (the emulator) its URL.
func ARMAudience(endpoint string) string {
	endpoint = strings.TrimRight(endpoint, "/")
	for _, c := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureChina, cloud.AzureGovernment} {
		if rm := c.Services[cloud.ResourceManager]; strings.TrimRight(rm.Endpoint, "/") == endpoint {
			return rm.Audience
		}
	}
	return endpoint
}

func (o Options) client(pl runtime.Pipeline) *Client {
	c := &Client{pl: pl, service: o.Service, labelAll: o.LabelAll, parse: o.ParseError}
	if c.parse == nil {
		c.parse = ParseJSONError
	}
	return c
}

// clientOptions are the azcore options: retries, the bounded transport,
// the application id in the User-Agent.
func (o Options) clientOptions() policy.ClientOptions {
	// A nil Transport means azcore's default client, which the bound
	// cannot wrap; an http.Client with Go's defaults stands in for it.
	var transport policy.Transporter = &http.Client{}
	if o.Transport != nil {
		transport = o.Transport
	}
	limit := o.MaxAnswerSize
	if limit <= 0 {
		limit = DefaultMaxAnswerSize
	}
	return policy.ClientOptions{
		Retry:     o.Retry,
		Transport: httplimit.Transport(transport, limit),
		Telemetry: policy.TelemetryOptions{ApplicationID: "azcert"},
	}
}

// pipelineOptions are the retry notes, a per-try authorization policy
// (NewBearer's) and the trace. They go into the pipeline options, not the
// client options: for ARM that puts them before the bearer token policy,
// so the trace never holds a token and a token failure is a failed
// attempt like any other. An auth policy given here runs before the trace,
// which redacts the Authorization header whatever the allow-list says.
func (o Options) pipelineOptions(auth ...policy.Policy) runtime.PipelineOptions {
	perCall, perRetry := retrynote.Policies(retrynote.Options{Retry: o.Retry, OnRetry: o.OnRetry})
	plo := runtime.PipelineOptions{PerCall: []policy.Policy{perCall}, PerRetry: append([]policy.Policy{perRetry}, auth...)}
	if o.Trace != nil {
		plo.PerRetry = append(plo.PerRetry, newTracePolicy(o.Trace, o.TraceHeaders, o.RedactBody))
	}
	return plo
}

// Do sends req and reads its answer. An answer whose status is in ok
// returns with its body. Another answer returns with an *Error as well.
// No answer, or one that cannot be read, is an *UnavailableError; a
// credential that gives no token, a *CredentialError. label names the
// request in errors ("GET /<sub>/certificates", or "PUT"); see
// Options.LabelAll.
func (c *Client) Do(req *policy.Request, label string, ok ...int) (*http.Response, []byte, error) {
	ctx := req.Raw().Context()
	resp, err := c.pl.Do(req)
	if err != nil {
		return nil, nil, c.failed(ctx, label, err)
	}
	defer resp.Body.Close()
	// The pipeline has read the body already, within MaxAnswerSize.
	data, err := runtime.Payload(resp)
	if err != nil {
		if c.labelAll {
			err = fmt.Errorf("reading the answer to %s: %w", label, err)
		}
		return nil, nil, &UnavailableError{Service: c.service, Err: err}
	}
	if slices.Contains(ok, resp.StatusCode) {
		return resp, data, nil
	}
	return resp, data, ParseError(resp, data, c.parse)
}

// failed turns an error from the pipeline into the error Do returns.
func (c *Client) failed(ctx context.Context, label string, err error) error {
	var ce *CredentialError
	if errors.As(err, &ce) {
		return ce
	}
	if ctx.Err() != nil {
		// The time ran out: say what the attempts saw, not only
		// "context deadline exceeded".
		if exh, ok := retrynote.Last(err); ok {
			return &UnavailableError{Service: c.service, Err: fmt.Errorf("%s: %s: %w", label, exh.Summary(), ctx.Err()), Answered: exh.Answered}
		}
		return &UnavailableError{Service: c.service, Err: fmt.Errorf("%s: no answer in time: %w", label, ctx.Err())}
	}
	if c.labelAll {
		err = fmt.Errorf("%s: %w", label, err)
	}
	return &UnavailableError{Service: c.service, Err: err}
}

// SetBody sets req's body. Each hop of a redirect that net/http follows
// (307 keeps the body) gets a reader of its own: azcore's GetBody rewinds
// the one shared reader, which the previous hop's writer may still hold.
func SetBody(req *policy.Request, data []byte, contentType string) error {
	if err := req.SetBody(nopCloser{bytes.NewReader(data)}, contentType); err != nil {
		return err
	}
	req.Raw().GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

var subscriptionRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ValidSubscription reports whether s is a subscription ID (a GUID).
func ValidSubscription(s string) bool { return subscriptionRE.MatchString(s) }

// CloudEndpoint returns the base URL that endpoints holds for a named
// cloud (public, china, usgov; any case).
func CloudEndpoint(endpoints map[string]string, cloudName string) (string, error) {
	if u, ok := endpoints[strings.ToLower(cloudName)]; ok {
		return u, nil
	}
	return "", fmt.Errorf("unknown cloud %q (choose public, china or usgov)", cloudName)
}

// ARMEndpoints are Azure Resource Manager's base URLs by cloud.
var ARMEndpoints = map[string]string{
	"public": "https://management.azure.com",
	"china":  "https://management.chinacloudapi.cn",
	"usgov":  "https://management.usgovcloudapi.net",
}

// BadPort reports a URL whose port is not a number from 1 to 65535
// (url.Parse takes any digits, and the dial would fail only later, as if
// the service were unreachable).
func BadPort(u *url.URL) bool {
	p := u.Port()
	if p == "" {
		return strings.HasSuffix(u.Host, ":")
	}
	n, err := strconv.Atoi(p)
	return err != nil || n < 1 || n > 65535
}

// ARMEndpoint checks an ARM base URL for a client ("" means the public
// cloud's) and returns it without a trailing "/".
func ARMEndpoint(endpoint string) (string, error) {
	if endpoint == "" {
		endpoint = ARMEndpoints["public"]
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("ARM endpoint %q is not an https:// URL", endpoint)
	}
	if BadPort(u) {
		return "", fmt.Errorf("ARM endpoint %q: the port is not a number from 1 to 65535", endpoint)
	}
	return strings.TrimRight(endpoint, "/"), nil
}

// DefaultRetry is the retry policy of the clients on this transport: four
// retries, the first after 800 ms, none later than 30 s (Retry-After
// aside); RetryOptions applies a caller's overrides to it.
var DefaultRetry = policy.RetryOptions{MaxRetries: 4, RetryDelay: 800 * time.Millisecond, MaxRetryDelay: 30 * time.Second}
