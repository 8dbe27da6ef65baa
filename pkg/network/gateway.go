package network

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/azcert/azcert/pkg/export"
)

// Gateway is a VPN gateway as read, with its point-to-site certificates.
// The whole resource is kept as it was read, so that a change writes back
// every other member unchanged.
type Gateway struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	ResourceGroup     string `json:"resourceGroup,omitempty"`
	Location          string `json:"location,omitempty"`
	ETag              string `json:"etag"`
	ProvisioningState string `json:"provisioningState,omitempty"`
	GatewayType       string `json:"gatewayType,omitempty"`
	VPNType           string `json:"vpnType,omitempty"`
	SKU               string `json:"sku,omitempty"`
	// PointToSite reports that the gateway has a point-to-site
	// configuration (properties.vpnClientConfiguration); without one it
	// takes no root certificates.
	PointToSite bool                 `json:"pointToSite"`
	Roots       []RootCertificate    `json:"roots"`
	Revoked     []RevokedCertificate `json:"revoked"`

	doc, props, cfg      object
	rootsRaw, revokedRaw []json.RawMessage
}

// RootCertificate is a trusted root of a gateway:
// {"name", "properties": {"publicCertData"}}.
type RootCertificate struct {
	Name           string `json:"name"`
	PublicCertData string `json:"publicCertData"`
	// Thumbprint is the upper-case SHA-1 of the certificate the data
	// holds; "" when the data is not a certificate.
	Thumbprint        string `json:"thumbprint,omitempty"`
	ProvisioningState string `json:"provisioningState,omitempty"`
}

// RevokedCertificate is a client certificate a gateway refuses:
// {"name", "properties": {"thumbprint"}}.
type RevokedCertificate struct {
	Name              string `json:"name"`
	Thumbprint        string `json:"thumbprint"`
	ProvisioningState string `json:"provisioningState,omitempty"`
}

// Names of the members the client reads and changes.
const (
	keyProperties = "properties"
	keyConfig     = "vpnClientConfiguration"
	keyRoots      = "vpnClientRootCertificates"
	keyRevoked    = "vpnClientRevokedCertificates"
)

// maxItems bounds the items of a collection the client reads; a gateway
// holds 20 roots, and the revoked list is short in practice.
const maxItems = 10000

// ParseGateway reads a gateway resource (the answer to a GET or PUT).
func ParseGateway(data []byte) (*Gateway, error) {
	doc, err := parseObject(data)
	if err != nil {
		return nil, fmt.Errorf("not a gateway resource: %w", err)
	}
	g := &Gateway{doc: doc, Roots: []RootCertificate{}, Revoked: []RevokedCertificate{}}
	for key, dst := range map[string]*string{"id": &g.ID, "name": &g.Name, "location": &g.Location, "etag": &g.ETag} {
		if err := doc.str(key, dst); err != nil {
			return nil, err
		}
	}
	if raw, ok := doc.get(keyProperties); ok && !isNull(raw) {
		if g.props, err = parseObject(raw); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
	}
	var shape struct {
		ProvisioningState string `json:"provisioningState"`
		GatewayType       string `json:"gatewayType"`
		VPNType           string `json:"vpnType"`
		SKU               *struct {
			Name string `json:"name"`
		} `json:"sku"`
	}
	if raw, ok := doc.get(keyProperties); ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &shape); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
	}
	g.ProvisioningState, g.GatewayType, g.VPNType = shape.ProvisioningState, shape.GatewayType, shape.VPNType
	if shape.SKU != nil {
		g.SKU = shape.SKU.Name
	}
	raw, ok := g.props.get(keyConfig)
	if !ok || isNull(raw) {
		return g, nil
	}
	if g.cfg, err = parseObject(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", keyConfig, err)
	}
	g.PointToSite = true
	if g.rootsRaw, err = g.cfg.array(keyRoots); err != nil {
		return nil, err
	}
	if g.revokedRaw, err = g.cfg.array(keyRevoked); err != nil {
		return nil, err
	}
	for i, r := range g.rootsRaw {
		it, err := parseItem(r)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", keyRoots, i, err)
		}
		rc := RootCertificate{Name: it.Name, PublicCertData: it.Properties.PublicCertData, ProvisioningState: it.Properties.ProvisioningState}
		if der, ok := DecodePublicCertData(rc.PublicCertData); ok {
			if _, err := x509.ParseCertificate(der); err == nil {
				rc.Thumbprint = thumbprint(der)
			}
		}
		g.Roots = append(g.Roots, rc)
	}
	for i, r := range g.revokedRaw {
		it, err := parseItem(r)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", keyRevoked, i, err)
		}
		tp := it.Properties.Thumbprint
		if n, err := NormalizeThumbprint(tp); err == nil {
			tp = n
		}
		g.Revoked = append(g.Revoked, RevokedCertificate{Name: it.Name, Thumbprint: tp, ProvisioningState: it.Properties.ProvisioningState})
	}
	return g, nil
}

type item struct {
	Name       string `json:"name"`
	Properties struct {
		PublicCertData    string `json:"publicCertData"`
		Thumbprint        string `json:"thumbprint"`
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

func parseItem(raw json.RawMessage) (item, error) {
	var it item
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return it, errors.New("not an object")
	}
	err := json.Unmarshal(raw, &it)
	return it, err
}

// body is the gateway to PUT back: as it was read, with the two
// collections as they are now.
func (g *Gateway) body() ([]byte, error) {
	if g.cfg == nil {
		return nil, ErrNoPointToSite
	}
	cfg := g.cfg.set(keyRoots, rawArray(g.rootsRaw)).set(keyRevoked, rawArray(g.revokedRaw))
	// MarshalJSON is called directly: json.Marshal would compact the
	// values and escape their HTML characters, and they go back as read.
	cfgRaw, err := cfg.MarshalJSON()
	if err != nil {
		return nil, err
	}
	propsRaw, err := g.props.set(keyConfig, cfgRaw).MarshalJSON()
	if err != nil {
		return nil, err
	}
	return g.doc.set(keyProperties, propsRaw).MarshalJSON()
}

func rawArray(items []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// ErrNoPointToSite reports a gateway without a point-to-site configuration
// (properties.vpnClientConfiguration): it takes no root certificates until
// one is made (an address pool, tunnel types and certificate
// authentication, in the portal or with az network vnet-gateway update).
var ErrNoPointToSite = errors.New("the gateway has no point-to-site configuration (vpnClientConfiguration); configure an address pool and certificate authentication first")

// object is a JSON object with its members in their order and their
// values as they were read.
type object []member

type member struct {
	key string
	val json.RawMessage
}

func parseObject(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	o := object{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := t.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o = append(o, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

// index finds a member: its exact name first, then in any case, as
// encoding/json matches.
func (o object) index(key string) int {
	for i, m := range o {
		if m.key == key {
			return i
		}
	}
	for i, m := range o {
		if strings.EqualFold(m.key, key) {
			return i
		}
	}
	return -1
}

func (o object) get(key string) (json.RawMessage, bool) {
	if i := o.index(key); i >= 0 {
		return o[i].val, true
	}
	return nil, false
}

// set returns a copy of o with key set to v, in its place if it was there.
func (o object) set(key string, v json.RawMessage) object {
	c := append(object{}, o...)
	if i := c.index(key); i >= 0 {
		c[i].val = v
		return c
	}
	return append(c, member{key, v})
}

func (o object) str(key string, dst *string) error {
	raw, ok := o.get(key)
	if !ok || isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// array reads a member that is an array (or absent, or null: empty).
func (o object) array(key string) ([]json.RawMessage, error) {
	raw, ok := o.get(key)
	if !ok || isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(items) > maxItems {
		return nil, fmt.Errorf("%s: more than %d items", key, maxItems)
	}
	return items, nil
}

// MarshalJSON writes the members in their order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// PublicCertData is what a gateway takes as a root certificate's
// publicCertData (and the portal's text box): the base64 of the
// certificate's DER, with padding, on one line and without the PEM
// header and footer.
func PublicCertData(der []byte) string { return base64.StdEncoding.EncodeToString(der) }

// DecodePublicCertData reads publicCertData as a gateway may hold it: base64
// DER, possibly wrapped over lines, possibly (sent by hand) with the PEM
// header and footer, possibly without padding.
func DecodePublicCertData(s string) ([]byte, bool) {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") {
			continue
		}
		b.WriteString(strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' {
				return -1
			}
			return r
		}, line))
	}
	t := b.String()
	if t == "" {
		return nil, false
	}
	if der, err := base64.StdEncoding.DecodeString(t); err == nil {
		return der, true
	}
	if der, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(t, "=")); err == nil {
		return der, true
	}
	return nil, false
}

// NormalizeThumbprint reads a SHA-1 thumbprint in any of the forms
// export.ParseThumbprint reads and writes it as gateways hold revoked
// certificates' thumbprints: 40 upper-case hex digits.
func NormalizeThumbprint(s string) (string, error) {
	p, err := export.ParseThumbprint(s)
	if err != nil {
		return "", err
	}
	if len(p.Sum) != 20 {
		return "", fmt.Errorf("thumbprint %q is not a SHA-1 thumbprint (40 hex digits)", s)
	}
	return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), nil
}

func thumbprint(der []byte) string {
	return export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure)
}

// SanitizeName turns s into a name ARM accepts for a root or revoked
// certificate (ValidName): characters other than letters, digits, _ . -
// become hyphens (runs of them one), leading characters that are not a
// letter or digit and trailing ones that are not a letter, digit or _ are
// dropped, and the result is cut to 80 characters. It returns "" when
// nothing is left.
func SanitizeName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'):
			b.WriteRune(r)
			dash = r == '-'
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	t := b.String()
	trimEnd := func(t string) string {
		return strings.TrimRightFunc(t, func(r rune) bool { return r == '.' || r == '-' })
	}
	t = strings.TrimLeftFunc(t, func(r rune) bool { return r == '_' || r == '.' || r == '-' })
	t = trimEnd(t)
	if len(t) > 80 {
		t = trimEnd(t[:80])
	}
	return t
}

// DefaultRootName is the name a root certificate gets when none is given:
// its common name made valid (SanitizeName), else "root-" and the last
// eight digits of its thumbprint.
func DefaultRootName(cert *x509.Certificate) string {
	if n := SanitizeName(cert.Subject.CommonName); n != "" {
		return n
	}
	tp := thumbprint(cert.Raw)
	return "root-" + tp[len(tp)-8:]
}
