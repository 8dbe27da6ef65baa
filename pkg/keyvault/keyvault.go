// Package keyvault is a thin client for the certificates of an Azure Key
// Vault (the data plane, REST API version 7.5): import, get, list and list
// versions, delete, get deleted, purge and recover.
//
// It runs on the shared Azure transport (pkg/azhttp, the Azure SDK's
// pipeline): retries with back-off that honour Retry-After, bounded
// answers, a --debug trace that never shows a token, a certificate's
// private key or its password, and Key Vault's error answers as
// *azhttp.Error with the innermost error code. Tokens come from any
// azcore.TokenCredential, for the scope and tenant the vault names in its
// authentication challenge, as the official SDKs do (see New).
// https://learn.microsoft.com/rest/api/keyvault/certificates
package keyvault

import (
	"bytes"
	"context"
	"crypto/sha1"
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

// APIVersion is the Key Vault REST version the client speaks.
const APIVersion = "7.5"

// The content types of an import: a .pfx, or PEM text with the private key
// (PKCS#8) and the certificates.
const (
	ContentTypePKCS12 = "application/x-pkcs12"
	ContentTypePEM    = "application/x-pem-file"
)

// MaxAnswerSize bounds the body of an answer the client reads. A page of
// 25 certificates, or one certificate with its chain, is a few tens of
// kilobytes.
const MaxAnswerSize = azhttp.DefaultMaxAnswerSize

// MaxPages bounds how many nextLink pages List and ListVersions follow (at
// Key Vault's 25 a page, 25,000 items).
const MaxPages = 1000

// Options configures a Client.
type Options struct {
	// VaultURL is the vault's base URL (VaultURL makes one from a name).
	VaultURL string
	// Credential supplies bearer tokens. Required.
	Credential azcore.TokenCredential
	// Transport sends the requests; nil means a default *http.Client.
	Transport policy.Transporter
	// MaxRetries bounds retries of one request; 0 means 4, negative none.
	MaxRetries int
	// RetryDelay is the first back-off delay; 0 means 800 ms.
	RetryDelay time.Duration
	// OnRetry, if set, is called before each retry's back-off.
	OnRetry func(RetryInfo)
	// Trace, if set, receives each request and answer of each try, the
	// challenge included, with the token, the certificate and its
	// password redacted.
	Trace io.Writer
}

// Client manages the certificates of one vault. It is safe for concurrent
// use; one Client keeps one challenge and one token for all its requests.
type Client struct {
	az    *azhttp.Client
	vault string // https://host[:port], no trailing slash
	host  string // the vault's host[:port], as nextLinks must name it
}

// New makes a Client for one vault.
//
// Authorization follows Key Vault's challenge: the first request goes
// without a token (a POST without its body); the vault answers 401 with
// WWW-Authenticate: Bearer authorization="…/{tenant}", resource="…"; the
// client checks that the resource's host is the vault's host or a parent
// domain of it (else a *ChallengeError in a *CredentialError), asks the
// credential for a token for <resource>/.default in that tenant, and sends
// the request again, with its body. Later requests carry the token at
// once; a 401 with a new challenge renews it.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, errors.New("keyvault: a credential is required")
	}
	if !strings.Contains(o.VaultURL, "://") {
		return nil, fmt.Errorf("keyvault: Options.VaultURL %q is not a URL (VaultURL makes one from a name)", o.VaultURL)
	}
	vault, err := VaultURL(o.VaultURL, "")
	if err != nil {
		return nil, err
	}
	ch := &challenger{}
	az, err := azhttp.NewBearer(azhttp.Options{
		Module:        "azcert/keyvault",
		Service:       "Azure Key Vault",
		Transport:     o.Transport,
		MaxAnswerSize: MaxAnswerSize,
		Retry:         azhttp.RetryOptions(azhttp.DefaultRetry, o.MaxRetries, o.RetryDelay, 0),
		OnRetry:       o.OnRetry,
		Trace:         o.Trace,
		TraceHeaders:  traceHeaders,
		RedactBody:    Redact,
		ParseError:    ParseError,
	}, o.Credential, nil, ch.handler())
	if err != nil {
		return nil, err
	}
	return &Client{az: az, vault: vault, host: strings.TrimPrefix(vault, "https://")}, nil
}

// VaultURL returns the vault's base URL.
func (c *Client) VaultURL() string { return c.vault }

// Certificate is a certificate of the vault, as Key Vault reports it.
type Certificate struct {
	// ID is the certificate's identifier, versioned when the answer gave
	// a version (https://{vault}/certificates/{name}/{version}); a list
	// of the vault's certificates gives it without.
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// SID is the secret that holds the certificate with its key (what
	// App Service and Cloud Services read); KID the key.
	SID string `json:"sid,omitempty"`
	KID string `json:"kid,omitempty"`
	// X5T is the SHA-1 thumbprint as Key Vault gives it (base64url).
	X5T string `json:"x5t,omitempty"`
	// Thumbprint is the SHA-1 thumbprint in Azure's upper-case hex,
	// computed from CER when the answer has it (and checked against X5T).
	Thumbprint string `json:"thumbprint,omitempty"`
	// CER is the certificate (DER); lists do not give it.
	CER         []byte            `json:"cer,omitempty"`
	ContentType string            `json:"contentType,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   time.Time         `json:"notBefore,omitzero"`
	Expires     time.Time         `json:"expires,omitzero"`
	Created     time.Time         `json:"created,omitzero"`
	Updated     time.Time         `json:"updated,omitzero"`
	Tags        map[string]string `json:"tags,omitempty"`
	// RecoveryLevel is the vault's deletion recovery level
	// ("Recoverable+Purgeable", "Recoverable", ...).
	RecoveryLevel   string `json:"recoveryLevel,omitempty"`
	RecoverableDays int    `json:"recoverableDays,omitempty"`
}

// DeletedCertificate is a soft-deleted certificate: recoverable until
// ScheduledPurgeDate, or purged before.
type DeletedCertificate struct {
	Certificate
	// RecoveryID is https://{vault}/deletedcertificates/{name}.
	RecoveryID         string    `json:"recoveryId,omitempty"`
	DeletedDate        time.Time `json:"deletedDate,omitzero"`
	ScheduledPurgeDate time.Time `json:"scheduledPurgeDate,omitzero"`
}

// ImportParams is what Import sends.
type ImportParams struct {
	// Value is the certificate with its private key: .pfx bytes, or PEM
	// text (the key in PKCS#8 and the certificates).
	Value []byte
	// Password is the .pfx password; "" for none.
	Password string
	// ContentType is ContentTypePKCS12 or ContentTypePEM; "" means PEM
	// when Value begins with "-----BEGIN", else PKCS#12.
	ContentType string
	// Enabled sets the certificate's enabled attribute; nil leaves Key
	// Vault's default (enabled).
	Enabled *bool
	// Tags are the certificate's tags (at most 15).
	Tags map[string]string
}

// Certificate names: 1-127 letters, digits and hyphens.
// https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#objects-identifiers-and-versioning
var (
	nameRE    = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	versionRE = regexp.MustCompile(`^[0-9A-Za-z]{1,64}$`)
)

// ValidName reports whether name is a certificate name Key Vault accepts.
func ValidName(name string) bool { return nameRE.MatchString(name) }

func checkName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("certificate name %q is not valid: 1-127 letters, digits and hyphens", name)
	}
	return nil
}

// Import imports a certificate with its private key under name, as a new
// version when name exists.
// https://learn.microsoft.com/rest/api/keyvault/certificates/import-certificate/import-certificate
func (c *Client) Import(ctx context.Context, name string, p ImportParams) (*Certificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ct := p.ContentType
	if ct == "" {
		ct = ContentTypePKCS12
		if bytes.HasPrefix(bytes.TrimSpace(p.Value), []byte("-----BEGIN")) {
			ct = ContentTypePEM
		}
	}
	var value string
	switch ct {
	case ContentTypePKCS12:
		value = base64.StdEncoding.EncodeToString(p.Value)
	case ContentTypePEM:
		// Key Vault takes the PEM text itself as the value.
		value = string(p.Value)
	default:
		return nil, fmt.Errorf("content type %q is neither %s nor %s", ct, ContentTypePKCS12, ContentTypePEM)
	}
	if len(p.Value) == 0 {
		return nil, errors.New("no certificate to import")
	}
	type secretProps struct {
		ContentType string `json:"contentType"`
	}
	type attributes struct {
		Enabled *bool `json:"enabled,omitempty"`
	}
	body := struct {
		Value      string            `json:"value"`
		Pwd        string            `json:"pwd,omitempty"`
		Policy     any               `json:"policy"`
		Attributes *attributes       `json:"attributes,omitempty"`
		Tags       map[string]string `json:"tags,omitempty"`
	}{
		Value:  value,
		Pwd:    p.Password,
		Policy: map[string]secretProps{"secret_props": {ContentType: ct}},
		Tags:   p.Tags,
	}
	if p.Enabled != nil {
		body.Attributes = &attributes{Enabled: p.Enabled}
	}
	data, err := c.do(ctx, http.MethodPost, c.vault+"/certificates/"+name+"/import", body, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseCertificate(data, "POST /certificates/"+name+"/import")
}

// Get reads a certificate: version "" means the current one.
// https://learn.microsoft.com/rest/api/keyvault/certificates/get-certificate/get-certificate
func (c *Client) Get(ctx context.Context, name, version string) (*Certificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	path := "/certificates/" + name
	if version != "" {
		if !versionRE.MatchString(version) {
			return nil, fmt.Errorf("certificate version %q is not valid: letters and digits", version)
		}
		path += "/" + version
	}
	data, err := c.do(ctx, http.MethodGet, c.vault+path, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseCertificate(data, "GET "+path)
}

// List reads the vault's certificates (their current versions, IDs
// without version), following nextLink.
// https://learn.microsoft.com/rest/api/keyvault/certificates/get-certificates/get-certificates
func (c *Client) List(ctx context.Context) ([]Certificate, error) {
	return c.list(ctx, c.vault+"/certificates?maxresults=25")
}

// ListVersions reads every version of a certificate (IDs with version),
// following nextLink.
// https://learn.microsoft.com/rest/api/keyvault/certificates/get-certificate-versions/get-certificate-versions
func (c *Client) ListVersions(ctx context.Context, name string) ([]Certificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return c.list(ctx, c.vault+"/certificates/"+name+"/versions?maxresults=25")
}

func (c *Client) list(ctx context.Context, next string) ([]Certificate, error) {
	all := []Certificate{}
	for page := 0; next != ""; page++ {
		if page == MaxPages {
			return nil, fmt.Errorf("more than %d pages of certificates; stopping", MaxPages)
		}
		data, err := c.do(ctx, http.MethodGet, next, nil, http.StatusOK)
		if err != nil {
			return nil, err
		}
		items, link, err := parsePage(data)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if link != "" {
			if err := c.checkNextLink(link); err != nil {
				return nil, err
			}
		}
		next = link
	}
	return all, nil
}

// checkNextLink refuses a nextLink that leaves the vault: the token would
// go with it. Key Vault writes the default port (":443") into its links.
func (c *Client) checkNextLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.User != nil || hostPort(u.Host) != hostPort(c.host) {
		return fmt.Errorf("nextLink %q points away from the vault %s; stopping", link, c.vault)
	}
	return nil
}

func hostPort(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ":443")
}

// Delete soft-deletes a certificate, all its versions with it. The vault
// takes a moment before the deleted certificate can be read, purged or
// recovered.
// https://learn.microsoft.com/rest/api/keyvault/certificates/delete-certificate/delete-certificate
func (c *Client) Delete(ctx context.Context, name string) (*DeletedCertificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	data, err := c.do(ctx, http.MethodDelete, c.vault+"/certificates/"+name, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseDeleted(data, "DELETE /certificates/"+name)
}

// GetDeleted reads a soft-deleted certificate.
// https://learn.microsoft.com/rest/api/keyvault/certificates/get-deleted-certificate/get-deleted-certificate
func (c *Client) GetDeleted(ctx context.Context, name string) (*DeletedCertificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	data, err := c.do(ctx, http.MethodGet, c.vault+"/deletedcertificates/"+name, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseDeleted(data, "GET /deletedcertificates/"+name)
}

// Purge deletes a soft-deleted certificate for good.
// https://learn.microsoft.com/rest/api/keyvault/certificates/purge-deleted-certificate/purge-deleted-certificate
func (c *Client) Purge(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodDelete, c.vault+"/deletedcertificates/"+name, nil, http.StatusNoContent)
	return err
}

// Recover brings a soft-deleted certificate back, at its last version. The
// vault takes a moment before the certificate can be read again.
// https://learn.microsoft.com/rest/api/keyvault/certificates/recover-deleted-certificate/recover-deleted-certificate
func (c *Client) Recover(ctx context.Context, name string) (*Certificate, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	data, err := c.do(ctx, http.MethodPost, c.vault+"/deletedcertificates/"+name+"/recover", nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return parseCertificate(data, "POST /deletedcertificates/"+name+"/recover")
}

// do sends one request to u (api-version added unless a nextLink has it)
// and returns the body of an answer whose status is in ok.
func (c *Client) do(ctx context.Context, method, u string, body any, ok ...int) ([]byte, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, err
	}
	q := req.Raw().URL.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", APIVersion)
		req.Raw().URL.RawQuery = q.Encode()
	}
	req.Raw().Header.Set("Accept", "application/json")
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
	_, data, err := c.az.Do(req, label, ok...)
	return data, err
}

// The wire shapes: CertificateBundle, CertificateItem,
// DeletedCertificateBundle, with times in Unix seconds.
type wireAttributes struct {
	Enabled         *bool  `json:"enabled"`
	NotBefore       *int64 `json:"nbf"`
	Expires         *int64 `json:"exp"`
	Created         *int64 `json:"created"`
	Updated         *int64 `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

type wireBundle struct {
	ID          string            `json:"id"`
	KID         string            `json:"kid"`
	SID         string            `json:"sid"`
	X5T         string            `json:"x5t"`
	CER         string            `json:"cer"`
	ContentType string            `json:"contentType"`
	Attributes  wireAttributes    `json:"attributes"`
	Tags        map[string]string `json:"tags"`
	Policy      *struct {
		SecretProps *struct {
			ContentType string `json:"contentType"`
		} `json:"secret_props"`
	} `json:"policy"`
	RecoveryID         string `json:"recoveryId"`
	DeletedDate        *int64 `json:"deletedDate"`
	ScheduledPurgeDate *int64 `json:"scheduledPurgeDate"`
}

func unixTime(s *int64) time.Time {
	if s == nil {
		return time.Time{}
	}
	return time.Unix(*s, 0).UTC()
}

func (w *wireBundle) certificate() (Certificate, error) {
	cert := Certificate{ID: w.ID, SID: w.SID, KID: w.KID, X5T: w.X5T, ContentType: w.ContentType, Tags: w.Tags,
		Enabled: w.Attributes.Enabled == nil || *w.Attributes.Enabled, RecoveryLevel: w.Attributes.RecoveryLevel,
		RecoverableDays: w.Attributes.RecoverableDays,
		NotBefore:       unixTime(w.Attributes.NotBefore), Expires: unixTime(w.Attributes.Expires),
		Created: unixTime(w.Attributes.Created), Updated: unixTime(w.Attributes.Updated)}
	if cert.ContentType == "" && w.Policy != nil && w.Policy.SecretProps != nil {
		cert.ContentType = w.Policy.SecretProps.ContentType
	}
	var err error
	if cert.Name, cert.Version, err = splitID(w.ID, "certificates"); err != nil {
		return cert, err
	}
	var x5t []byte
	if w.X5T != "" {
		if x5t, err = decodeBase64(w.X5T); err != nil || len(x5t) != sha1.Size {
			return cert, fmt.Errorf("the x5t of %s is not a SHA-1 thumbprint", w.ID)
		}
	}
	if w.CER != "" {
		if cert.CER, err = decodeBase64(w.CER); err != nil {
			return cert, fmt.Errorf("the cer of %s is not base64: %w", w.ID, err)
		}
		sum := sha1.Sum(cert.CER)
		if x5t != nil && !bytes.Equal(sum[:], x5t) {
			return cert, fmt.Errorf("the x5t of %s does not match its certificate", w.ID)
		}
		x5t = sum[:]
	}
	if x5t != nil {
		cert.Thumbprint = strings.ToUpper(hex.EncodeToString(x5t))
	}
	return cert, nil
}

// decodeBase64 reads base64url (x5t) or standard base64 (cer), padded or
// not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// splitID reads the name and version of https://{vault}/{kind}/{name}[/{version}].
func splitID(id, kind string) (name, version string, err error) {
	u, err := url.Parse(id)
	if err == nil {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) >= 2 && len(parts) <= 3 && parts[0] == kind && ValidName(parts[1]) {
			if len(parts) == 3 {
				version = parts[2]
			}
			return parts[1], version, nil
		}
	}
	return "", "", fmt.Errorf("%q is not a Key Vault %s identifier", id, kind)
}

func parseCertificate(data []byte, what string) (*Certificate, error) {
	var w wireBundle
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("the answer to %s is not a certificate: %w", what, err)
	}
	cert, err := w.certificate()
	if err != nil {
		return nil, fmt.Errorf("the answer to %s: %w", what, err)
	}
	return &cert, nil
}

func parseDeleted(data []byte, what string) (*DeletedCertificate, error) {
	var w wireBundle
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("the answer to %s is not a deleted certificate: %w", what, err)
	}
	cert, err := w.certificate()
	if err != nil {
		return nil, fmt.Errorf("the answer to %s: %w", what, err)
	}
	d := &DeletedCertificate{Certificate: cert, RecoveryID: w.RecoveryID,
		DeletedDate: unixTime(w.DeletedDate), ScheduledPurgeDate: unixTime(w.ScheduledPurgeDate)}
	if w.RecoveryID != "" {
		if _, _, err := splitID(w.RecoveryID, "deletedcertificates"); err != nil {
			return nil, fmt.Errorf("the answer to %s: %w", what, err)
		}
	}
	return d, nil
}

func parsePage(data []byte) ([]Certificate, string, error) {
	var p struct {
		Value    []wireBundle `json:"value"`
		NextLink *string      `json:"nextLink"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, "", fmt.Errorf("the certificate list is not the expected JSON: %w", err)
	}
	items := make([]Certificate, 0, len(p.Value))
	for i := range p.Value {
		cert, err := p.Value[i].certificate()
		if err != nil {
			return nil, "", fmt.Errorf("the certificate list: %w", err)
		}
		items = append(items, cert)
	}
	link := ""
	if p.NextLink != nil {
		link = *p.NextLink
	}
	return items, link, nil
}
