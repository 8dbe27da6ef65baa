package keyvault

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/export"
)

// certificate is a named certificate and its versions, active or deleted.
type certificate struct {
	name     string         // as first imported; names are not case-sensitive
	versions []*certVersion // oldest first; the last is the current one
	deleted  *deletion      // nil while active
}

// certVersion is one import. Only the public certificate is kept.
type certVersion struct {
	version          string
	cert             *x509.Certificate
	enabled          bool
	created, updated time.Time
	tags             map[string]string
	contentType      string
	exportable       bool
	reuseKey         bool
}

type deletion struct {
	deletedDate, scheduledPurgeDate time.Time
}

func (c *certificate) current() *certVersion { return c.versions[len(c.versions)-1] }

// Content types of the secret behind a certificate.
const (
	contentPKCS12 = "application/x-pkcs12"
	contentPEM    = "application/x-pem-file"
)

// maxTags is the most tags an object may carry
// (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates).
const maxTags = 15

// Messages of Import Certificate. msgPFXUnreadable is Key Vault's
// (https://github.com/damienbod/AspNetCoreCertificates/issues/38); it is
// also its answer to a wrong password, which cannot be told from a broken
// file. The others follow its wording.
const (
	msgPFXUnreadable = "The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format."
	msgPEMUnreadable = "The specified X.509 PEM certificate content can not be read. Please check if certificate is in valid PEM format."
	msgPFXNoKey      = "Private key is not specified in the specified PKCS#12 X.509 certificate content. Please specify private key in the PKCS#12 X.509 certificate content."
	msgPEMNoKey      = "Private key is not specified in the specified X.509 PEM certificate content. Please specify private key in the X.509 PEM certificate content."
	msgPEMNotPKCS8   = "The private key in the specified X.509 PEM certificate content is not in PKCS#8 format (-----BEGIN PRIVATE KEY-----); Key Vault accepts only PKCS#8 keys."
	msgKeyMismatch   = "The private key in the specified certificate content does not match the certificate."
)

// apiError is a refusal: the status and Key Vault's error.
type apiError struct {
	status        int
	code, message string
	inner         string
}

func (e *apiError) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.message, e.inner) }

func badParameter(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadParameter", message: fmt.Sprintf(format, args...)}
}

// importBody is the body of Import Certificate (CertificateImportParameters).
// Fields the emulator does not use (preserveCertOrder, the policy's
// x509_props and lifetime_actions) are accepted and ignored.
type importBody struct {
	Value      *string           `json:"value"`
	Pwd        string            `json:"pwd"`
	Policy     *policyJSON       `json:"policy"`
	Attributes *attributesIn     `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type attributesIn struct {
	Enabled *bool `json:"enabled"`
	// NotBefore and Expires are read but not used: the answer's nbf and
	// exp are the certificate's validity.
	NotBefore *int64 `json:"nbf"`
	Expires   *int64 `json:"exp"`
}

// imported is a parsed, accepted import.
type imported struct {
	cert        *x509.Certificate
	enabled     bool
	tags        map[string]string
	contentType string
	exportable  bool
	reuseKey    bool
}

// parseImport decodes an Import Certificate body and opens its certificate
// the way Key Vault does: a base64 .pfx opened with pwd, or (contentType
// application/x-pem-file) PEM text with a PKCS#8 key; the key must be
// there and match, and an RSA key must have 2048 bits or more.
func parseImport(body []byte) (*imported, *apiError) {
	if len(body) > emulator.MaxBodySize {
		return nil, badParameter("The request body is larger than %d bytes.", emulator.MaxBodySize)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badParameter("The request body is empty: send {\"value\": \"<base64 .pfx>\", \"pwd\": \"<password>\"}.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var in importBody
	if err := dec.Decode(&in); err != nil {
		return nil, badParameter("The request body is not a valid JSON object: %s.", emulator.Clip(err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badParameter("The request body has data after the JSON object.")
	}
	if in.Value == nil || *in.Value == "" {
		return nil, badParameter("Property value is required: the base64 .pfx, or the PEM text, of the certificate and its private key.")
	}
	if len(in.Tags) > maxTags {
		return nil, badParameter("The certificate has %d tags; at most %d are allowed.", len(in.Tags), maxTags)
	}
	out := &imported{enabled: true, tags: in.Tags, contentType: contentPKCS12, exportable: true}
	if p := in.Policy; p != nil {
		if p.SecretProps != nil && p.SecretProps.ContentType != "" {
			out.contentType = p.SecretProps.ContentType
		}
		if p.KeyProps != nil {
			if p.KeyProps.Exportable != nil {
				out.exportable = *p.KeyProps.Exportable
			}
			if p.KeyProps.ReuseKey != nil {
				out.reuseKey = *p.KeyProps.ReuseKey
			}
		}
	}
	if in.Attributes != nil && in.Attributes.Enabled != nil {
		out.enabled = *in.Attributes.Enabled
	}
	var b *export.Bundle
	var e *apiError
	switch strings.ToLower(out.contentType) {
	case contentPKCS12:
		out.contentType = contentPKCS12
		b, e = openPFX(*in.Value, in.Pwd)
	case contentPEM:
		out.contentType = contentPEM
		b, e = openPEM(*in.Value)
	default:
		return nil, badParameter("The content type %s is not supported: use %s or %s.", emulator.Clip(out.contentType), contentPKCS12, contentPEM)
	}
	if e != nil {
		return nil, e
	}
	if !b.KeyMatches() {
		return nil, badParameter(msgKeyMismatch)
	}
	switch k := b.Cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < 2048 {
			return nil, badParameter("The RSA key of the certificate has %d bits; Key Vault accepts RSA keys of 2048, 3072 or 4096 bits.", bits)
		}
	case *ecdsa.PublicKey:
	default:
		return nil, badParameter("The key type of the certificate (%T) is not supported: Key Vault accepts RSA and EC keys.", k)
	}
	out.cert = b.Cert
	return out, nil
}

func openPFX(value, password string) (*export.Bundle, *apiError) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil || export.Sniff(raw) != export.FormatPKCS12 {
		return nil, badParameter(msgPFXUnreadable)
	}
	b, err := export.Load(raw, func() (string, error) { return password, nil })
	switch {
	case errors.Is(err, export.ErrNoKey):
		return nil, badParameter(msgPFXNoKey)
	case err != nil:
		return nil, badParameter(msgPFXUnreadable)
	case b.Cert == nil:
		return nil, badParameter(msgPFXUnreadable)
	case b.Key == nil:
		return nil, badParameter(msgPFXNoKey)
	}
	return b, nil
}

func openPEM(value string) (*export.Bundle, *apiError) {
	raw := []byte(value)
	if export.Sniff(raw) != export.FormatPEM {
		return nil, badParameter(msgPEMUnreadable)
	}
	b, err := export.Load(raw, nil)
	switch {
	case err != nil || b.Cert == nil:
		return nil, badParameter(msgPEMUnreadable)
	case b.Key == nil:
		return nil, badParameter(msgPEMNoKey)
	case !slices.Contains(b.Blocks, "PRIVATE KEY"):
		// "Key Vault will only accept a key in PKCS#8 format"
		// (https://learn.microsoft.com/rest/api/keyvault/certificates/import-certificate/import-certificate).
		return nil, badParameter(msgPEMNotPKCS8)
	}
	return b, nil
}

// The answers' bodies (CertificateBundle, CertificateItem and their
// deleted forms in the reference).

type attributesJSON struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       int64  `json:"nbf"`
	Expires         int64  `json:"exp"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

type keyPropsJSON struct {
	Exportable *bool  `json:"exportable,omitempty"`
	KeyType    string `json:"kty,omitempty"`
	KeySize    int    `json:"key_size,omitempty"`
	Curve      string `json:"crv,omitempty"`
	ReuseKey   *bool  `json:"reuse_key,omitempty"`
}

type secretPropsJSON struct {
	ContentType string `json:"contentType,omitempty"`
}

type sansJSON struct {
	DNSNames []string `json:"dns_names,omitempty"`
	Emails   []string `json:"emails,omitempty"`
	UPNs     []string `json:"upns,omitempty"`
}

type x509PropsJSON struct {
	Subject        string    `json:"subject,omitempty"`
	SANs           *sansJSON `json:"sans,omitempty"`
	EKUs           []string  `json:"ekus,omitempty"`
	KeyUsage       []string  `json:"key_usage,omitempty"`
	ValidityMonths int       `json:"validity_months,omitempty"`
}

type triggerJSON struct {
	LifetimePercentage int `json:"lifetime_percentage,omitempty"`
	DaysBeforeExpiry   int `json:"days_before_expiry,omitempty"`
}

type actionJSON struct {
	ActionType string `json:"action_type"`
}

type lifetimeActionJSON struct {
	Trigger triggerJSON `json:"trigger"`
	Action  actionJSON  `json:"action"`
}

type issuerJSON struct {
	Name string `json:"name"`
}

type policyAttributesJSON struct {
	Enabled bool  `json:"enabled"`
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

// policyJSON is a CertificatePolicy; a request's is decoded into it too.
type policyJSON struct {
	ID              string                `json:"id,omitempty"`
	KeyProps        *keyPropsJSON         `json:"key_props,omitempty"`
	SecretProps     *secretPropsJSON      `json:"secret_props,omitempty"`
	X509Props       *x509PropsJSON        `json:"x509_props,omitempty"`
	LifetimeActions []lifetimeActionJSON  `json:"lifetime_actions,omitempty"`
	Issuer          *issuerJSON           `json:"issuer,omitempty"`
	Attributes      *policyAttributesJSON `json:"attributes,omitempty"`
}

type bundleJSON struct {
	ID          string            `json:"id"`
	Kid         string            `json:"kid"`
	Sid         string            `json:"sid"`
	X5t         string            `json:"x5t"`
	Cer         string            `json:"cer"`
	ContentType string            `json:"contentType"`
	Attributes  attributesJSON    `json:"attributes"`
	Policy      *policyJSON       `json:"policy,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type deletedBundleJSON struct {
	RecoveryID         string `json:"recoveryId"`
	DeletedDate        int64  `json:"deletedDate"`
	ScheduledPurgeDate int64  `json:"scheduledPurgeDate"`
	bundleJSON
}

type itemJSON struct {
	ID         string            `json:"id"`
	X5t        string            `json:"x5t"`
	Attributes attributesJSON    `json:"attributes"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type deletedItemJSON struct {
	RecoveryID         string `json:"recoveryId"`
	DeletedDate        int64  `json:"deletedDate"`
	ScheduledPurgeDate int64  `json:"scheduledPurgeDate"`
	itemJSON
}

type listJSON[T any] struct {
	Value []T `json:"value"`
	// NextLink is null on the last page, as in the reference's examples.
	NextLink *string `json:"nextLink"`
}

// X5t is a certificate's x5t: the base64url SHA-1 of its DER, without
// padding.
func X5t(der []byte) string {
	sum := sha1.Sum(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func attributes(v *certVersion) attributesJSON {
	return attributesJSON{
		Enabled:         v.enabled,
		NotBefore:       unix(v.cert.NotBefore),
		Expires:         unix(v.cert.NotAfter),
		Created:         unix(v.created),
		Updated:         unix(v.updated),
		RecoveryLevel:   RecoveryLevel,
		RecoverableDays: RecoverableDays,
	}
}

// keyUsageNames are Key Vault's names of the key usages, in bit order.
var keyUsageNames = []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
	"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}

var ekuOIDs = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "1.3.6.1.5.5.7.3.1",
	x509.ExtKeyUsageClientAuth:      "1.3.6.1.5.5.7.3.2",
	x509.ExtKeyUsageCodeSigning:     "1.3.6.1.5.5.7.3.3",
	x509.ExtKeyUsageEmailProtection: "1.3.6.1.5.5.7.3.4",
	x509.ExtKeyUsageTimeStamping:    "1.3.6.1.5.5.7.3.8",
	x509.ExtKeyUsageOCSPSigning:     "1.3.6.1.5.5.7.3.9",
}

// policy is the policy Key Vault makes for an imported certificate: the
// key and subject of the certificate, the content type and key flags of
// the import, issuer "Unknown" and the default lifetime action.
func policy(base, name string, v *certVersion) *policyJSON {
	c := v.cert
	kp := &keyPropsJSON{Exportable: &v.exportable, ReuseKey: &v.reuseKey}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		kp.KeyType, kp.KeySize = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		kp.KeyType, kp.Curve = "EC", k.Curve.Params().Name
	}
	xp := &x509PropsJSON{Subject: c.Subject.String()}
	if len(c.DNSNames)+len(c.EmailAddresses) > 0 {
		xp.SANs = &sansJSON{DNSNames: c.DNSNames, Emails: c.EmailAddresses}
	}
	for _, u := range c.ExtKeyUsage {
		if oid, ok := ekuOIDs[u]; ok {
			xp.EKUs = append(xp.EKUs, oid)
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		xp.EKUs = append(xp.EKUs, u.String())
	}
	for i, n := range keyUsageNames {
		if c.KeyUsage&(1<<i) != 0 {
			xp.KeyUsage = append(xp.KeyUsage, n)
		}
	}
	xp.ValidityMonths = max(1, int(c.NotAfter.Sub(c.NotBefore).Hours()/24/30.4375+0.5))
	return &policyJSON{
		ID:          base + "/certificates/" + name + "/policy",
		KeyProps:    kp,
		SecretProps: &secretPropsJSON{ContentType: v.contentType},
		X509Props:   xp,
		LifetimeActions: []lifetimeActionJSON{{
			Trigger: triggerJSON{LifetimePercentage: 80},
			Action:  actionJSON{ActionType: "EmailContacts"},
		}},
		Issuer:     &issuerJSON{Name: "Unknown"},
		Attributes: &policyAttributesJSON{Enabled: true, Created: unix(v.created), Updated: unix(v.updated)},
	}
}

func bundle(base string, c *certificate, v *certVersion) bundleJSON {
	tail := "/" + c.name + "/" + v.version
	return bundleJSON{
		ID:          base + "/certificates" + tail,
		Kid:         base + "/keys" + tail,
		Sid:         base + "/secrets" + tail,
		X5t:         X5t(v.cert.Raw),
		Cer:         base64.StdEncoding.EncodeToString(v.cert.Raw),
		ContentType: v.contentType,
		Attributes:  attributes(v),
		Policy:      policy(base, c.name, v),
		Tags:        v.tags,
	}
}

func deletedBundle(base string, c *certificate) deletedBundleJSON {
	return deletedBundleJSON{
		RecoveryID:         base + "/deletedcertificates/" + c.name,
		DeletedDate:        unix(c.deleted.deletedDate),
		ScheduledPurgeDate: unix(c.deleted.scheduledPurgeDate),
		bundleJSON:         bundle(base, c, c.current()),
	}
}

func item(id string, v *certVersion) itemJSON {
	return itemJSON{ID: id, X5t: X5t(v.cert.Raw), Attributes: attributes(v), Tags: v.tags}
}

// Operations. Each takes the Host's lock for the whole request.

func (s *Service) lock() {
	s.h.Lock()
	s.expireLocked()
}

// expireLocked purges the deleted certificates whose scheduled purge date
// has passed, as Key Vault does at the end of the retention period.
func (s *Service) expireLocked() {
	now := s.h.Now()
	for k, c := range s.certs {
		if c.deleted != nil && !now.Before(c.deleted.scheduledPurgeDate) {
			delete(s.certs, k)
		}
	}
}

// active returns the certificate name if it exists and is not deleted.
func (s *Service) active(name string) *certificate {
	c := s.certs[strings.ToLower(name)]
	if c == nil || c.deleted != nil {
		return nil
	}
	return c
}

func (s *Service) deleted(name string) *certificate {
	c := s.certs[strings.ToLower(name)]
	if c == nil || c.deleted == nil {
		return nil
	}
	return c
}

// notFound is Key Vault's 404 for a certificate (id: name or
// name/versions/version)
// (https://github.com/Azure/notation-azure-kv/pull/150).
func notFound(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "CertificateNotFound", message: fmt.Sprintf(
		"A certificate with (name/id) %s was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", emulator.Clip(id))}
}

func deletedNotFound(name string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "CertificateNotFound", message: "Deleted Certificate not found: " + emulator.Clip(name)}
}

func (s *Service) importCertificate(rq *request, name string) {
	in, e := parseImport(rq.body)
	if e != nil {
		e.write(rq.w)
		return
	}
	s.lock()
	defer s.h.Unlock()
	key := strings.ToLower(name)
	c := s.certs[key]
	if c != nil && c.deleted != nil {
		// https://github.com/rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto/issues/16
		writeError(rq.w, http.StatusConflict, "Conflict", fmt.Sprintf(
			"Certificate %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.", c.name),
			"ObjectIsDeletedButRecoverable")
		return
	}
	now := s.h.Now()
	v := &certVersion{version: newVersion(), cert: in.cert, enabled: in.enabled, created: now, updated: now,
		tags: in.tags, contentType: in.contentType, exportable: in.exportable, reuseKey: in.reuseKey}
	isNew := c == nil
	if isNew {
		c = &certificate{name: name}
		s.certs[key] = c
	}
	c.versions = append(c.versions, v)
	if err := s.h.SaveLocked(); err != nil {
		if isNew {
			delete(s.certs, key)
		} else {
			c.versions = c.versions[:len(c.versions)-1]
		}
		s.internalError(rq.w, err)
		return
	}
	writeJSON(rq.w, http.StatusOK, bundle(rq.base, c, v))
}

func (s *Service) getCertificate(rq *request, name, version string) {
	s.lock()
	defer s.h.Unlock()
	c := s.active(name)
	if c == nil {
		notFound(name).write(rq.w)
		return
	}
	v := c.current()
	if version != "" {
		i := slices.IndexFunc(c.versions, func(v *certVersion) bool { return strings.EqualFold(v.version, version) })
		if i < 0 {
			notFound(name + "/versions/" + version).write(rq.w)
			return
		}
		v = c.versions[i]
	}
	writeJSON(rq.w, http.StatusOK, bundle(rq.base, c, v))
}

func (s *Service) getPolicy(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	c := s.active(name)
	if c == nil {
		notFound(name).write(rq.w)
		return
	}
	writeJSON(rq.w, http.StatusOK, policy(rq.base, c.name, c.current()))
}

func (s *Service) deleteCertificate(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	c := s.active(name)
	if c == nil {
		notFound(name).write(rq.w)
		return
	}
	now := s.h.Now()
	c.deleted = &deletion{deletedDate: now, scheduledPurgeDate: now.Add(RecoverableDays * 24 * time.Hour)}
	if err := s.h.SaveLocked(); err != nil {
		c.deleted = nil
		s.internalError(rq.w, err)
		return
	}
	writeJSON(rq.w, http.StatusOK, deletedBundle(rq.base, c))
}

func (s *Service) getDeleted(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	c := s.deleted(name)
	if c == nil {
		deletedNotFound(name).write(rq.w)
		return
	}
	writeJSON(rq.w, http.StatusOK, deletedBundle(rq.base, c))
}

func (s *Service) recoverDeleted(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	c := s.deleted(name)
	if c == nil {
		deletedNotFound(name).write(rq.w)
		return
	}
	d := c.deleted
	c.deleted = nil
	if err := s.h.SaveLocked(); err != nil {
		c.deleted = d
		s.internalError(rq.w, err)
		return
	}
	writeJSON(rq.w, http.StatusOK, bundle(rq.base, c, c.current()))
}

func (s *Service) purgeDeleted(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	c := s.deleted(name)
	if c == nil {
		deletedNotFound(name).write(rq.w)
		return
	}
	key := strings.ToLower(name)
	delete(s.certs, key)
	if err := s.h.SaveLocked(); err != nil {
		s.certs[key] = c
		s.internalError(rq.w, err)
		return
	}
	rq.w.WriteHeader(http.StatusNoContent)
}

func (s *Service) listCertificates(rq *request) {
	s.lock()
	defer s.h.Unlock()
	var keys []string
	for _, k := range emulator.SortedKeys(s.certs) {
		if s.certs[k].deleted == nil {
			keys = append(keys, k)
		}
	}
	page, next, e := rq.page(keys, "/certificates")
	if e != nil {
		e.write(rq.w)
		return
	}
	out := listJSON[itemJSON]{Value: []itemJSON{}, NextLink: next}
	for _, k := range page {
		c := s.certs[k]
		out.Value = append(out.Value, item(rq.base+"/certificates/"+c.name, c.current()))
	}
	writeJSON(rq.w, http.StatusOK, &out)
}

func (s *Service) listVersions(rq *request, name string) {
	s.lock()
	defer s.h.Unlock()
	// The versions of a name that does not exist are an empty list.
	c := s.active(name)
	var keys []string
	if c != nil {
		for i := range c.versions {
			keys = append(keys, fmt.Sprintf("%06d", i))
		}
	}
	page, next, e := rq.page(keys, "/certificates/"+name+"/versions")
	if e != nil {
		e.write(rq.w)
		return
	}
	out := listJSON[itemJSON]{Value: []itemJSON{}, NextLink: next}
	for _, k := range page {
		i, _ := strconv.Atoi(k)
		v := c.versions[i]
		out.Value = append(out.Value, item(rq.base+"/certificates/"+c.name+"/"+v.version, v))
	}
	writeJSON(rq.w, http.StatusOK, &out)
}

func (s *Service) listDeleted(rq *request) {
	s.lock()
	defer s.h.Unlock()
	var keys []string
	for _, k := range emulator.SortedKeys(s.certs) {
		if s.certs[k].deleted != nil {
			keys = append(keys, k)
		}
	}
	page, next, e := rq.page(keys, "/deletedcertificates")
	if e != nil {
		e.write(rq.w)
		return
	}
	out := listJSON[deletedItemJSON]{Value: []deletedItemJSON{}, NextLink: next}
	for _, k := range page {
		c := s.certs[k]
		out.Value = append(out.Value, deletedItemJSON{
			RecoveryID:         rq.base + "/deletedcertificates/" + c.name,
			DeletedDate:        unix(c.deleted.deletedDate),
			ScheduledPurgeDate: unix(c.deleted.scheduledPurgeDate),
			itemJSON:           item(rq.base+"/certificates/"+c.name, c.current()),
		})
	}
	writeJSON(rq.w, http.StatusOK, &out)
}

// page picks the page of keys (sorted) that the request's maxresults and
// $skiptoken ask for, and the nextLink to the next page (nil on the last).
// The token is the base64url of the last key of the page before, so a
// page starts after it even when keys come and go between requests.
func (rq *request) page(keys []string, path string) ([]string, *string, *apiError) {
	q := rq.r.URL.Query()
	size := PageSize
	if m := q.Get("maxresults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > PageSize {
			return nil, nil, badParameter("The value of maxresults (%s) is invalid: it must be a number from 1 to %d.", emulator.Clip(m), PageSize)
		}
		size = n
	}
	start := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		after, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(after) == 0 {
			return nil, nil, badParameter("The $skiptoken %s is invalid: use the nextLink of the page before.", emulator.Clip(tok))
		}
		start, _ = slices.BinarySearch(keys, string(after))
		if start < len(keys) && keys[start] == string(after) {
			start++
		}
	}
	end := min(start+size, len(keys))
	page := keys[start:end]
	if end >= len(keys) {
		return page, nil, nil
	}
	// The token is base64url, which needs no escaping in a query.
	next := rq.base + path + "?api-version=" + url.QueryEscape(rq.version) +
		"&$skiptoken=" + base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	if q.Get("maxresults") != "" {
		next += "&maxresults=" + strconv.Itoa(size)
	}
	return page, &next, nil
}
