package entra

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azcert/azcert/pkg/azhttp"
)

// DefaultScope is the scope SignIn asks for when SignInOptions.Scope is
// "": Microsoft Graph's application permissions.
const DefaultScope = "https://graph.microsoft.com/.default"

// ClientAssertionType is the client_assertion_type of a certificate
// credential (RFC 7523).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// MaxTokenAnswer bounds the token endpoint's answer SignIn reads.
const MaxTokenAnswer = 1 << 20

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer, and the wait.
type RetryInfo = azhttp.RetryInfo

// SignInOptions says who signs in, where, and for what.
type SignInOptions struct {
	// Authority is the Entra ID authority (Authorities, AuthorityFor);
	// "" means DefaultAuthority.
	Authority string
	// Tenant is the tenant id or one of its domain names. Required.
	Tenant string
	// ClientID is the application (client) id. Required.
	ClientID string
	// Scope is the one scope asked for, a resource's /.default; "" means
	// DefaultScope.
	Scope string
	// Key and Cert are the certificate credential: an RSA key of at least
	// 2048 bits and its certificate, registered with the application.
	Key  crypto.Signer
	Cert *x509.Certificate
	// Transport sends the request; nil means a default *http.Client.
	Transport policy.Transporter
	// MaxRetries bounds retries (transport errors, 429, 5xx); 0 means 3,
	// negative none.
	MaxRetries int
	// RetryDelay is the first back-off delay; 0 means 800 ms.
	RetryDelay time.Duration
	// OnRetry, if set, is called before each retry's back-off.
	OnRetry func(RetryInfo)
	// Trace, if set, receives each request and answer, with the client
	// assertion and the access token redacted.
	Trace io.Writer
	// Now is the clock of the assertion and of the token's expiry; nil
	// means time.Now.
	Now func() time.Time
	// Rand is the randomness of the assertion's id; nil means
	// crypto/rand.Reader.
	Rand io.Reader
}

// Token is an access token from the identity platform.
type Token struct {
	// Type is the token type, "Bearer".
	Type string `json:"tokenType"`
	// ExpiresOn is when the token expires (the request's time plus
	// expires_in); ExtExpiresOn the extended lifetime, when given.
	ExpiresOn    time.Time `json:"expiresOn"`
	ExtExpiresOn time.Time `json:"extExpiresOn,omitzero"`
	// Scope is the scope the token was asked for.
	Scope string `json:"scope"`
	// AccessToken is the token itself: never printed.
	AccessToken string `json:"-"`
}

// String describes the token without the token.
func (t *Token) String() string {
	return fmt.Sprintf("%s token for %s, expires %s", t.Type, t.Scope, t.ExpiresOn.UTC().Format(time.RFC3339))
}

// GetToken makes a Token an azcore.TokenCredential (for graph.Options, say):
// it returns the token whatever is asked, until it has expired.
func (t *Token) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if !t.ExpiresOn.IsZero() && !time.Now().Before(t.ExpiresOn) {
		return azcore.AccessToken{}, fmt.Errorf("the access token for %s expired at %s", t.Scope, t.ExpiresOn.UTC().Format(time.RFC3339))
	}
	return azcore.AccessToken{Token: t.AccessToken, ExpiresOn: t.ExpiresOn}, nil
}

// SignIn gets an access token for the application o.ClientID with its
// certificate: the OAuth 2.0 client credentials grant with a client
// assertion (ClientAssertion, its audience the token endpoint), POSTed as
// a form to TokenEndpoint(o.Authority, o.Tenant). The identity platform's
// refusals come back as *TokenError.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#second-case-access-token-request-with-a-certificate
// https://learn.microsoft.com/entra/identity-platform/certificate-credentials
func SignIn(ctx context.Context, o SignInOptions) (*Token, error) {
	if o.Tenant == "" {
		return nil, errors.New("sign-in: no tenant")
	}
	if o.ClientID == "" {
		return nil, errors.New("sign-in: no client (application) id")
	}
	scope := o.Scope
	if scope == "" {
		scope = DefaultScope
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	endpoint := TokenEndpoint(o.Authority, o.Tenant)
	at := now()
	assertion, err := ClientAssertion(o.Key, o.Cert, AssertionOptions{ClientID: o.ClientID, TokenEndpoint: endpoint, Now: at, Rand: o.Rand})
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"client_id":             {o.ClientID},
		"scope":                 {scope},
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {ClientAssertionType},
		"client_assertion":      {assertion},
	}
	req, err := runtime.NewRequest(ctx, http.MethodPost, endpoint)
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("Accept", "application/json")
	if err := azhttp.SetBody(req, []byte(form.Encode()), "application/x-www-form-urlencoded"); err != nil {
		return nil, err
	}
	az := azhttp.New(azhttp.Options{
		Module:        "azcert/entra",
		Service:       "Microsoft Entra ID",
		Transport:     o.Transport,
		MaxAnswerSize: MaxTokenAnswer,
		Retry:         azhttp.RetryOptions(policy.RetryOptions{MaxRetries: 3, RetryDelay: 800 * time.Millisecond, MaxRetryDelay: 30 * time.Second}, o.MaxRetries, o.RetryDelay, 0),
		OnRetry:       o.OnRetry,
		Trace:         o.Trace,
		TraceHeaders:  tokenTraceHeaders,
		RedactBody:    RedactTokenExchange,
		ParseError:    ParseError,
	})
	label := "POST " + req.Raw().URL.Path
	_, data, err := az.Do(req, label, http.StatusOK)
	if err != nil {
		var he *azhttp.Error
		if errors.As(err, &he) {
			if te, ok := ParseTokenError(he.StatusCode, data); ok {
				te.http = he
				return nil, te
			}
		}
		return nil, err
	}
	tok, err := parseToken(data, at)
	if err != nil {
		return nil, fmt.Errorf("the answer to %s: %w", label, err)
	}
	tok.Scope = scope
	return tok, nil
}

// seconds reads expires_in, a number (v2.0 endpoint) or a string of digits
// (as the v1.0 endpoint writes it).
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil || n < 0 || n > 1<<31 {
		return fmt.Errorf("%s is not a number of seconds", b)
	}
	*s = seconds(n)
	return nil
}

func parseToken(data []byte, at time.Time) (*Token, error) {
	var w struct {
		TokenType    string   `json:"token_type"`
		ExpiresIn    *seconds `json:"expires_in"`
		ExtExpiresIn *seconds `json:"ext_expires_in"`
		AccessToken  string   `json:"access_token"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("not a token answer: %w", err)
	}
	switch {
	case !strings.EqualFold(w.TokenType, "Bearer"):
		return nil, fmt.Errorf("token_type %q is not Bearer", w.TokenType)
	case w.AccessToken == "":
		return nil, errors.New("no access_token")
	case w.ExpiresIn == nil || *w.ExpiresIn == 0:
		return nil, errors.New("no expires_in")
	}
	t := &Token{Type: "Bearer", AccessToken: w.AccessToken, ExpiresOn: at.Add(time.Duration(*w.ExpiresIn) * time.Second)}
	if w.ExtExpiresIn != nil && *w.ExtExpiresIn > 0 {
		t.ExtExpiresOn = at.Add(time.Duration(*w.ExtExpiresIn) * time.Second)
	}
	return t, nil
}

// TokenError is the identity platform's refusal of a token request.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
type TokenError struct {
	// Status is the HTTP status (400, 401, ...).
	Status int
	// Code is the OAuth error ("invalid_client", "unauthorized_client",
	// "invalid_scope", "invalid_request").
	Code string
	// Description is error_description: "AADSTS700027: ..." with trace
	// and correlation ids and a timestamp on further lines.
	Description string
	// AADSTS are the error_codes (700027, ...).
	AADSTS []int
	// TraceID and CorrelationID identify the request for Microsoft.
	TraceID, CorrelationID string

	http *azhttp.Error
}

// Error is the first line of the description, "AADSTS700027: Client
// assertion contains an invalid signature. ...", or, without one, the code
// and the status.
func (e *TokenError) Error() string {
	if line := firstLine(e.Description); line != "" {
		return line
	}
	if e.Code != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("the token request was refused (HTTP %d)", e.Status)
}

// Unwrap returns the answer as an *azhttp.Error (status, code, request
// id), for callers that map those to exit codes.
func (e *TokenError) Unwrap() error {
	if e.http == nil {
		return nil
	}
	return e.http
}

// Has reports whether the answer carries the AADSTS code.
func (e *TokenError) Has(code int) bool {
	for _, c := range e.AADSTS {
		if c == code {
			return true
		}
	}
	return strings.HasPrefix(e.Description, "AADSTS"+strconv.Itoa(code)+":")
}

// hints are the remedies, in plain words, for the AADSTS codes a
// certificate sign-in meets.
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes#aadsts-error-codes
var hints = []struct {
	codes []int
	hint  string
}{
	{[]int{700016}, "no application with this client id is in the tenant: check the client (application) id and the tenant; a multi-tenant app must first be added to the tenant by its administrator"},
	{[]int{90002, 900023, 90013}, "no such tenant: give the tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com, and the cloud it is in"},
	{[]int{700027}, "the certificate is not one of the application's credentials (or the key is not the certificate's): register the .cer with the application, then allow a few minutes for it to take effect"},
	{[]int{700024}, "the client assertion is outside its valid time range: check this machine's clock (and time zone setting)"},
	{[]int{700021}, "the assertion names another application than client_id: use the same client id for both"},
	{[]int{700023}, "the assertion's audience is not this token endpoint: the authority or tenant differ (check the cloud)"},
	{[]int{50027, 50012}, "the client assertion was not accepted as a valid JWT: use an RSA key of 2048 bits or more that matches the certificate"},
	{[]int{7000215, 7000222}, "Entra ID read a client secret, but this sign-in sends a certificate: check that the client id is the application the certificate is registered with"},
	{[]int{70011, 1002012}, "the scope is not valid: the client credentials flow takes one resource's /.default scope, e.g. https://graph.microsoft.com/.default"},
	{[]int{500011}, "the resource of the scope is not known in this tenant: check the scope and the cloud"},
	{[]int{7000112}, "the application is disabled in the tenant: an administrator must enable its service principal"},
	{[]int{53003}, "a Conditional Access policy blocked the sign-in: ask the tenant's administrator"},
	{[]int{700025}, "the application is a public client, which cannot use a certificate: turn off 'Allow public client flows' in its registration"},
}

// Hint is a remedy in plain words for the refusal, or "".
func (e *TokenError) Hint() string {
	for _, h := range hints {
		for _, c := range h.codes {
			if e.Has(c) {
				return h.hint
			}
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// tokenErrorJSON is the identity platform's error body.
type tokenErrorJSON struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

// ParseTokenError reads the identity platform's error body,
// {"error":"invalid_client","error_description":"AADSTS700027: ...",
// "error_codes":[700027],"timestamp":"...","trace_id":"...",
// "correlation_id":"...","error_uri":"..."}. ok is false unless the body
// is such JSON with an error.
func ParseTokenError(status int, body []byte) (*TokenError, bool) {
	var b tokenErrorJSON
	if json.Unmarshal(body, &b) != nil || b.Error == "" {
		return nil, false
	}
	if len(b.ErrorCodes) > 16 {
		b.ErrorCodes = b.ErrorCodes[:16]
	}
	return &TokenError{Status: status, Code: b.Error, Description: b.Description, AADSTS: b.ErrorCodes,
		TraceID: b.TraceID, CorrelationID: b.CorrelationID}, true
}

// ParseError reads the identity platform's error body for azhttp: the
// code is error ("invalid_client"), the message the first line of
// error_description.
func ParseError(body []byte) (code, message string, ok bool) {
	var b tokenErrorJSON
	if json.Unmarshal(body, &b) != nil || b.Error == "" {
		return "", "", false
	}
	return b.Error, firstLine(b.Description), true
}

// tokenTraceHeaders are the headers the trace shows of a token exchange.
var tokenTraceHeaders = []string{
	"Accept", "Content-Type", "Content-Length", "Date", "Retry-After",
	"X-Ms-Request-Id", "Client-Request-Id", "X-Ms-Ests-Server", "X-Ms-Clitelem",
}

var (
	secretForm = regexp.MustCompile(`(^|&)(client_assertion|client_secret|assertion)=[^&]*`)
	secretJSON = regexp.MustCompile(`"(access_token|refresh_token|id_token)"\s*:\s*"(?:[^"\\]|\\.)*"`)
)

// RedactTokenExchange hides the client assertion (a form field of the
// request) and the tokens (members of the answer), for the trace.
func RedactTokenExchange(body []byte) []byte {
	body = secretForm.ReplaceAll(body, []byte(`${1}${2}=REDACTED`))
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
}
