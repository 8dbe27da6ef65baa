// Package graph is a thin client for the certificate credentials of
// Microsoft Entra ID applications and service principals through Microsoft
// Graph v1.0: read an object with its keyCredentials, replace the
// collection (PATCH), and the addKey and removeKey actions that an
// application signs with a key it already has.
//
// It runs on the shared Azure transport (pkg/azhttp, the Azure SDK's
// pipeline) with bearer tokens for {endpoint}/.default from any
// azcore.TokenCredential: retries with back-off that honour Retry-After
// (PATCH is a full replacement, so retrying it is safe; addKey and
// removeKey are never retried blindly), bounded answers, a --debug trace
// that never shows a token, a certificate or a proof, and Graph's error
// answers as *azhttp.Error with the innermost code.
//
// AddCredential and RemoveCredential change the collection by
// read-modify-write, for a caller who holds no key of the application yet:
// each writes every credential it read back with its key, and confirms the
// result by reading it again.
//
// References:
//   - application: https://learn.microsoft.com/graph/api/resources/application
//   - servicePrincipal: https://learn.microsoft.com/graph/api/resources/serviceprincipal
//   - keyCredential: https://learn.microsoft.com/graph/api/resources/keycredential
//   - Update application: https://learn.microsoft.com/graph/api/application-update
//   - addKey: https://learn.microsoft.com/graph/api/application-addkey
//   - removeKey: https://learn.microsoft.com/graph/api/application-removekey
//   - Add a certificate to an app: https://learn.microsoft.com/graph/applications-how-to-add-certificate
//   - errors: https://learn.microsoft.com/graph/errors
//   - throttling: https://learn.microsoft.com/graph/throttling
//   - national clouds: https://learn.microsoft.com/graph/deployments
package graph

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
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
)

// DefaultEndpoint is Microsoft Graph in the public cloud.
const DefaultEndpoint = "https://graph.microsoft.com"

// APIVersion is the Graph version the client speaks; every path begins
// with it.
const APIVersion = "v1.0"

// Endpoints are the Microsoft Graph endpoints of the clouds, by the names
// azcert uses for them (public, usgov, china).
// https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
var Endpoints = map[string]string{
	"public": DefaultEndpoint,
	"usgov":  "https://graph.microsoft.us",
	"china":  "https://microsoftgraph.chinacloudapi.cn",
}

// EndpointFor returns the Graph endpoint of a named cloud: public, usgov
// or china, in any case; "" is public.
func EndpointFor(cloud string) (string, error) {
	if cloud == "" {
		return DefaultEndpoint, nil
	}
	return azhttp.CloudEndpoint(Endpoints, cloud)
}

// Scope is the token scope for Graph at endpoint: {endpoint}/.default, the
// application permissions granted to the caller.
// https://learn.microsoft.com/entra/identity-platform/scopes-oidc#the-default-scope
func Scope(endpoint string) string { return strings.TrimRight(endpoint, "/") + "/.default" }

// MaxAnswerSize bounds the body of an answer the client reads. An object
// with the most keyCredentials Entra ID allows is well under a megabyte.
const MaxAnswerSize = 4 << 20

// Type and Usage of a certificate credential.
const (
	TypeX509Cert = "AsymmetricX509Cert"
	UsageVerify  = "Verify"
)

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer ("429 TooManyRequests", "503"), and the wait.
type RetryInfo = azhttp.RetryInfo

// Options configures a Client.
type Options struct {
	// Endpoint is Graph's base URL without /v1.0; "" means
	// DefaultEndpoint (EndpointFor gives the other clouds').
	Endpoint string
	// Credential supplies bearer tokens for Scope(Endpoint). Required.
	Credential azcore.TokenCredential
	// Transport sends the requests; nil means a default *http.Client.
	Transport policy.Transporter
	// MaxRetries bounds retries of one request; 0 means 4, negative none.
	// addKey and removeKey are never retried by the pipeline.
	MaxRetries int
	// RetryDelay is the first back-off delay; 0 means 800 ms.
	RetryDelay time.Duration
	// OnRetry, if set, is called before each retry's back-off.
	OnRetry func(RetryInfo)
	// Trace, if set, receives each request and answer of each try, with
	// the token, the certificates' keys and the proofs redacted.
	Trace io.Writer
}

// Client reads and changes the certificate credentials of applications
// and service principals. It is safe for concurrent use.
type Client struct {
	az   *azhttp.Client // retries: GET, PATCH
	once *azhttp.Client // no retries: addKey, removeKey
	base string         // {endpoint}/v1.0
}

// New makes a Client for the Graph at o.Endpoint.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, errors.New("graph: a credential is required")
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	endpoint, err := checkEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	ao := azhttp.Options{
		Module:        "azcert/graph",
		Service:       "Microsoft Graph",
		Transport:     o.Transport,
		MaxAnswerSize: MaxAnswerSize,
		Retry:         azhttp.RetryOptions(policy.RetryOptions{MaxRetries: 4, RetryDelay: 800 * time.Millisecond, MaxRetryDelay: 60 * time.Second}, o.MaxRetries, o.RetryDelay, 0),
		OnRetry:       o.OnRetry,
		Trace:         o.Trace,
		TraceHeaders:  traceHeaders,
		RedactBody:    Redact,
		ParseError:    ParseError,
	}
	scopes := []string{Scope(endpoint)}
	az, err := azhttp.NewBearer(ao, o.Credential, scopes, policy.AuthorizationHandler{})
	if err != nil {
		return nil, err
	}
	// A second pipeline without retries (and so without retry notes) for
	// the two actions whose lost answer must be looked into, not resent.
	ao.Retry.MaxRetries, ao.OnRetry = -1, nil
	once, err := azhttp.NewBearer(ao, o.Credential, scopes, policy.AuthorizationHandler{})
	if err != nil {
		return nil, err
	}
	return &Client{az: az, once: once, base: endpoint + "/" + APIVersion}, nil
}

// checkEndpoint wants https://host[:port] with nothing after but "/".
func checkEndpoint(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("graph endpoint %q does not parse: %w", s, err)
	case u.Scheme != "https" || u.Hostname() == "":
		return "", fmt.Errorf("graph endpoint %q is not an https:// URL with a host", s)
	case azhttp.BadPort(u):
		return "", fmt.Errorf("graph endpoint %q: the port is not a number from 1 to 65535", s)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("graph endpoint %q must be the base URL alone (%s), without /%s", s, DefaultEndpoint, APIVersion)
	}
	return "https://" + strings.ToLower(u.Host), nil
}

// Endpoint returns the Graph endpoint the client talks to.
func (c *Client) Endpoint() string { return strings.TrimSuffix(c.base, "/"+APIVersion) }

// Kind is the collection an object belongs to.
type Kind string

// The two kinds of object that hold certificate credentials.
const (
	Application      Kind = "applications"
	ServicePrincipal Kind = "servicePrincipals"
)

func (k Kind) check() error {
	if k != Application && k != ServicePrincipal {
		return fmt.Errorf("graph: unknown kind %q (applications or servicePrincipals)", string(k))
	}
	return nil
}

// KeyCredential is a certificate credential of an object.
// https://learn.microsoft.com/graph/api/resources/keycredential
type KeyCredential struct {
	// KeyID is the credential's GUID, which Graph assigns.
	KeyID       string `json:"keyId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// Type is "AsymmetricX509Cert" for a certificate; Usage "Verify".
	Type  string `json:"type"`
	Usage string `json:"usage"`
	// Thumbprint is the certificate's SHA-1 in upper-case hex: computed
	// from Key when Graph returned it, else read from CustomKeyIdentifier;
	// "" when neither gives one.
	Thumbprint string `json:"thumbprint,omitempty"`
	// CustomKeyIdentifier is the value as on the wire (Edm.Binary as
	// base64). azcert sends the hex thumbprint, which is valid base64 and
	// which Graph echoes.
	CustomKeyIdentifier string `json:"customKeyIdentifier,omitempty"`
	// Key is the certificate (DER); nil when Graph did not return it
	// (it does only for a single object read with $select=keyCredentials).
	Key   []byte    `json:"-"`
	Start time.Time `json:"startDateTime,omitzero"`
	End   time.Time `json:"endDateTime,omitzero"`
}

// NewKeyCredential returns the credential of cert: type
// AsymmetricX509Cert, usage Verify, the DER as key, the thumbprint as
// customKeyIdentifier, displayName "CN=<common name>" when displayName is
// "". A zero start or end is the certificate's; the dates are kept within
// the certificate's validity, in whole seconds, UTC.
func NewKeyCredential(cert *x509.Certificate, displayName string, start, end time.Time) KeyCredential {
	if displayName == "" && cert.Subject.CommonName != "" {
		displayName = "CN=" + cert.Subject.CommonName
	}
	if start.IsZero() || start.Before(cert.NotBefore) {
		start = cert.NotBefore
	}
	if end.IsZero() || end.After(cert.NotAfter) {
		end = cert.NotAfter
	}
	tp := Thumbprint(cert.Raw)
	return KeyCredential{DisplayName: displayName, Type: TypeX509Cert, Usage: UsageVerify, Thumbprint: tp,
		CustomKeyIdentifier: tp, Key: cert.Raw,
		Start: start.UTC().Truncate(time.Second), End: end.UTC().Truncate(time.Second)}
}

// Thumbprint is the SHA-1 of der in upper-case hex, Azure's form.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Object is an application or a service principal with its certificate
// credentials.
type Object struct {
	Kind Kind `json:"kind"`
	// ID is the object id; AppID the application (client) id, the same
	// for an application and its service principals.
	ID             string          `json:"id"`
	AppID          string          `json:"appId"`
	DisplayName    string          `json:"displayName"`
	KeyCredentials []KeyCredential `json:"keyCredentials"`
}

// Credential returns the credential whose thumbprint is thumb (any case,
// separators ignored), or nil.
func (o *Object) Credential(thumb string) *KeyCredential {
	thumb = normalThumb(thumb)
	for i := range o.KeyCredentials {
		if kc := &o.KeyCredentials[i]; thumb != "" && kc.Thumbprint == thumb {
			return kc
		}
	}
	return nil
}

// ByKeyID returns the credential whose keyId is id (any case), or nil.
func (o *Object) ByKeyID(id string) *KeyCredential {
	for i := range o.KeyCredentials {
		if strings.EqualFold(o.KeyCredentials[i].KeyID, id) {
			return &o.KeyCredentials[i]
		}
	}
	return nil
}

func normalThumb(s string) string {
	return strings.ToUpper(strings.NewReplacer(":", "", " ", "", "-", "").Replace(s))
}

var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ValidID reports whether s is a GUID, the form of object ids, app ids
// and key ids.
func ValidID(s string) bool { return guidRE.MatchString(s) }

func checkID(what, s string) error {
	if !ValidID(s) {
		return fmt.Errorf("%s %q is not a GUID", what, s)
	}
	return nil
}

// selectKeys is the $select that makes Graph return the keys: it must
// name keyCredentials and address a single object.
const selectKeys = "$select=id,appId,displayName,keyCredentials"

// Find reads an object by its application (client) id or, when Graph
// knows no object of kind with that app id (404), by its object id.
// withKeys asks for the certificates themselves (KeyCredential.Key).
// https://learn.microsoft.com/graph/api/application-get
func (c *Client) Find(ctx context.Context, kind Kind, id string, withKeys bool) (*Object, error) {
	if err := kind.check(); err != nil {
		return nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	o, err := c.get(ctx, kind, "(appId='"+id+"')", withKeys)
	if IsNotFound(err) {
		return c.get(ctx, kind, "/"+id, withKeys)
	}
	return o, err
}

// Get reads an object by its object id. withKeys asks for the
// certificates themselves (KeyCredential.Key).
// https://learn.microsoft.com/graph/api/application-get
// https://learn.microsoft.com/graph/api/serviceprincipal-get
func (c *Client) Get(ctx context.Context, kind Kind, objectID string, withKeys bool) (*Object, error) {
	if err := kind.check(); err != nil {
		return nil, err
	}
	if err := checkID("object id", objectID); err != nil {
		return nil, err
	}
	return c.get(ctx, kind, "/"+objectID, withKeys)
}

func (c *Client) get(ctx context.Context, kind Kind, address string, withKeys bool) (*Object, error) {
	u := c.base + "/" + string(kind) + address
	if withKeys {
		u += "?" + selectKeys
	}
	data, err := c.do(ctx, c.az, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseObject(data, kind, "GET /"+APIVersion+"/"+string(kind)+address)
}

// SetKeyCredentials replaces the object's whole keyCredentials collection
// with creds (PATCH). Every element must carry its Key: Graph keeps no
// part of the old collection. Graph answers 204 No Content.
// https://learn.microsoft.com/graph/api/application-update
// https://learn.microsoft.com/graph/api/serviceprincipal-update
func (c *Client) SetKeyCredentials(ctx context.Context, kind Kind, objectID string, creds []KeyCredential) error {
	if err := kind.check(); err != nil {
		return err
	}
	if err := checkID("object id", objectID); err != nil {
		return err
	}
	list := make([]wireKeyCredential, 0, len(creds))
	for i := range creds {
		if len(creds[i].Key) == 0 {
			return fmt.Errorf("key credential %s has no certificate: a PATCH without it would remove it", describe(&creds[i]))
		}
		list = append(list, toWire(&creds[i], true))
	}
	body := struct {
		KeyCredentials []wireKeyCredential `json:"keyCredentials"`
	}{list}
	_, err := c.do(ctx, c.az, http.MethodPatch, c.base+"/"+string(kind)+"/"+objectID, body, http.StatusNoContent)
	return err
}

// AddKey adds kc to the object with the addKey action, which needs proof
// (entra.ProofOfPossession) signed by the key of one of the object's
// current certificate credentials. The answer is the new credential (its
// key null). The request is not retried: after a failure that leaves the
// outcome open (no answer, 5xx, 429) AddKey reads the object and, when a
// credential with kc's thumbprint is there, returns it as added;
// otherwise it returns the failure.
// https://learn.microsoft.com/graph/api/application-addkey
// https://learn.microsoft.com/graph/api/serviceprincipal-addkey
func (c *Client) AddKey(ctx context.Context, kind Kind, objectID string, kc KeyCredential, proof string) (*KeyCredential, error) {
	if err := kind.check(); err != nil {
		return nil, err
	}
	if err := checkID("object id", objectID); err != nil {
		return nil, err
	}
	if len(kc.Key) == 0 {
		return nil, errors.New("addKey: the key credential has no certificate")
	}
	if proof == "" {
		return nil, errors.New("addKey: no proof of possession")
	}
	w := toWire(&kc, false)
	body := struct {
		KeyCredential      wireKeyCredential `json:"keyCredential"`
		PasswordCredential *struct{}         `json:"passwordCredential"`
		Proof              string            `json:"proof"`
	}{KeyCredential: w, Proof: proof}
	path := "/" + string(kind) + "/" + objectID + "/addKey"
	data, err := c.do(ctx, c.once, http.MethodPost, c.base+path, body, http.StatusOK)
	if err != nil {
		if !openOutcome(err) {
			return nil, err
		}
		if o, gerr := c.Get(ctx, kind, objectID, true); gerr == nil {
			if found := o.Credential(Thumbprint(kc.Key)); found != nil {
				return found, nil
			}
		}
		return nil, err
	}
	var wk wireKeyCredential
	if err := json.Unmarshal(data, &wk); err != nil {
		return nil, fmt.Errorf("the answer to POST /%s%s is not a key credential: %w", APIVersion, path, err)
	}
	got, err := wk.credential()
	if err != nil {
		return nil, fmt.Errorf("the answer to POST /%s%s: %w", APIVersion, path, err)
	}
	if got.Thumbprint == "" {
		got.Thumbprint = Thumbprint(kc.Key)
	}
	return &got, nil
}

// RemoveKey removes the credential keyID from the object with the
// removeKey action, which needs proof signed by the key of one of the
// object's current certificate credentials (another one than keyID, or
// the same). Graph answers 204 No Content. The request is not retried:
// after a failure that leaves the outcome open RemoveKey reads the object
// and, when keyID is gone, reports success.
// https://learn.microsoft.com/graph/api/application-removekey
// https://learn.microsoft.com/graph/api/serviceprincipal-removekey
func (c *Client) RemoveKey(ctx context.Context, kind Kind, objectID, keyID, proof string) error {
	if err := kind.check(); err != nil {
		return err
	}
	if err := checkID("object id", objectID); err != nil {
		return err
	}
	if err := checkID("key id", keyID); err != nil {
		return err
	}
	if proof == "" {
		return errors.New("removeKey: no proof of possession")
	}
	body := struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}{keyID, proof}
	_, err := c.do(ctx, c.once, http.MethodPost, c.base+"/"+string(kind)+"/"+objectID+"/removeKey", body, http.StatusNoContent)
	if err != nil && openOutcome(err) {
		if o, gerr := c.Get(ctx, kind, objectID, false); gerr == nil && o.ByKeyID(keyID) == nil {
			return nil
		}
	}
	return err
}

// openOutcome reports a failure after which the request may or may not
// have been carried out: no answer, or throttling or a server error.
func openOutcome(err error) bool {
	var u *azhttp.UnavailableError
	var e *azhttp.Error
	switch {
	case errors.As(err, new(*azhttp.TooLargeError)):
		return true
	case errors.As(err, &u):
		return true
	case errors.As(err, &e):
		return e.Temporary()
	}
	return false
}

// do sends one request and returns the body of an answer whose status is
// in ok. Each call carries its own client-request-id, which Graph echoes.
func (c *Client) do(ctx context.Context, az *azhttp.Client, method, u string, body any, ok ...int) ([]byte, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, err
	}
	h := req.Raw().Header
	h.Set("Accept", "application/json")
	if id, err := newUUID(); err == nil {
		h.Set("client-request-id", id)
	}
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		if err := azhttp.SetBody(req, data, "application/json"); err != nil {
			return nil, err
		}
	}
	label := method + " " + req.Raw().URL.Path
	resp, data, err := az.Do(req, label, ok...)
	var e *azhttp.Error
	if errors.As(err, &e) && e.RequestID == "" {
		// Graph names its request ids request-id, in the header and in
		// the error's innerError.
		if e.RequestID = resp.Header.Get("request-id"); e.RequestID == "" {
			e.RequestID = innerRequestID(data)
		}
	}
	return data, err
}

// newUUID is a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// describe names a credential in messages: its keyId, thumbprint and name.
func describe(kc *KeyCredential) string {
	var parts []string
	if kc.KeyID != "" {
		parts = append(parts, "keyId "+kc.KeyID)
	}
	if kc.Thumbprint != "" {
		parts = append(parts, "thumbprint "+kc.Thumbprint)
	}
	if kc.DisplayName != "" {
		parts = append(parts, fmt.Sprintf("%q", kc.DisplayName))
	}
	if len(parts) == 0 {
		return "(unnamed)"
	}
	return strings.Join(parts, " ")
}

// wireKeyCredential is keyCredential's JSON. Dates are ISO 8601 UTC;
// Graph writes them without fractional seconds.
type wireKeyCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier,omitempty"`
	DisplayName         *string `json:"displayName,omitempty"`
	EndDateTime         *string `json:"endDateTime,omitempty"`
	Key                 *string `json:"key"`
	KeyID               *string `json:"keyId,omitempty"`
	StartDateTime       *string `json:"startDateTime,omitempty"`
	Type                string  `json:"type"`
	Usage               string  `json:"usage"`
}

const wireTime = "2006-01-02T15:04:05Z"

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(wireTime)
	return &s
}

// toWire is what a PATCH (full) or an addKey (type, usage, key,
// displayName only) sends.
func toWire(kc *KeyCredential, full bool) wireKeyCredential {
	typ, usage := kc.Type, kc.Usage
	if typ == "" {
		typ = TypeX509Cert
	}
	if usage == "" {
		usage = UsageVerify
	}
	key := base64.StdEncoding.EncodeToString(kc.Key)
	w := wireKeyCredential{Type: typ, Usage: usage, Key: &key, DisplayName: strPtr(kc.DisplayName)}
	if full {
		w.KeyID = strPtr(kc.KeyID)
		w.CustomKeyIdentifier = strPtr(kc.CustomKeyIdentifier)
		w.StartDateTime, w.EndDateTime = timePtr(kc.Start), timePtr(kc.End)
	}
	return w
}

func parseTime(what string, s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an ISO 8601 date", what, *s)
	}
	return t.UTC(), nil
}

var hexThumbRE = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)

// thumbFromIdentifier reads a customKeyIdentifier: 40 hex digits are a hex
// thumbprint; otherwise base64 that decodes to 20 bytes is one.
func thumbFromIdentifier(s string) string {
	if hexThumbRE.MatchString(s) {
		return strings.ToUpper(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == sha1.Size {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	return ""
}

func (w *wireKeyCredential) credential() (KeyCredential, error) {
	kc := KeyCredential{Type: w.Type, Usage: w.Usage}
	if w.KeyID != nil {
		kc.KeyID = *w.KeyID
	}
	if w.DisplayName != nil {
		kc.DisplayName = *w.DisplayName
	}
	if w.CustomKeyIdentifier != nil {
		kc.CustomKeyIdentifier = *w.CustomKeyIdentifier
	}
	var err error
	if kc.Start, err = parseTime("startDateTime", w.StartDateTime); err != nil {
		return kc, err
	}
	if kc.End, err = parseTime("endDateTime", w.EndDateTime); err != nil {
		return kc, err
	}
	if w.Key != nil && *w.Key != "" {
		if kc.Key, err = base64.StdEncoding.DecodeString(*w.Key); err != nil {
			return kc, fmt.Errorf("the key of credential %s is not base64: %w", kc.KeyID, err)
		}
		kc.Thumbprint = Thumbprint(kc.Key)
	} else {
		kc.Thumbprint = thumbFromIdentifier(kc.CustomKeyIdentifier)
	}
	return kc, nil
}

// wireObject is an application's or a service principal's JSON, the
// members the client reads.
type wireObject struct {
	ID             string              `json:"id"`
	AppID          string              `json:"appId"`
	DisplayName    string              `json:"displayName"`
	KeyCredentials []wireKeyCredential `json:"keyCredentials"`
}

func parseObject(data []byte, kind Kind, what string) (*Object, error) {
	var w wireObject
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("the answer to %s is not an object: %w", what, err)
	}
	if w.ID == "" {
		return nil, fmt.Errorf("the answer to %s has no id", what)
	}
	o := &Object{Kind: kind, ID: w.ID, AppID: w.AppID, DisplayName: w.DisplayName, KeyCredentials: []KeyCredential{}}
	for i := range w.KeyCredentials {
		kc, err := w.KeyCredentials[i].credential()
		if err != nil {
			return nil, fmt.Errorf("the answer to %s: keyCredentials[%d]: %w", what, i, err)
		}
		o.KeyCredentials = append(o.KeyCredentials, kc)
	}
	return o, nil
}
