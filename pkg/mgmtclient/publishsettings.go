package mgmtclient

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/azcert/azcert/internal/xmldepth"
	"github.com/azcert/azcert/pkg/export"
)

// PublishSettings is a parsed .publishsettings file.
type PublishSettings struct {
	Subscriptions []PublishSubscription
}

// PublishSubscription is one subscription of a publish settings file with
// the management certificate that authenticates it.
type PublishSubscription struct {
	ID       string
	Name     string
	Endpoint string
	// Certificate is the management certificate and its key.
	Certificate tls.Certificate
	// Thumbprint of the management certificate.
	Thumbprint string
}

// publishData covers schema 1.0 (Url and ManagementCertificate on
// PublishProfile) and 2.0 (SchemaVersion="2.0"; ServiceManagementUrl and
// ManagementCertificate on each Subscription).
type publishData struct {
	XMLName  xml.Name `xml:"PublishData"`
	Profiles []struct {
		SchemaVersion         string `xml:"SchemaVersion,attr"`
		URL                   string `xml:"Url,attr"`
		ManagementCertificate string `xml:"ManagementCertificate,attr"`
		Subscriptions         []struct {
			ID                    string `xml:"Id,attr"`
			Name                  string `xml:"Name,attr"`
			ServiceManagementURL  string `xml:"ServiceManagementUrl,attr"`
			ManagementCertificate string `xml:"ManagementCertificate,attr"`
		} `xml:"Subscription"`
	} `xml:"PublishProfile"`
}

// MaxPublishSettingsSize bounds the files ParsePublishSettings reads.
const MaxPublishSettingsSize = 4 << 20

// ParsePublishSettings reads a .publishsettings file. The certificates in
// it are base64 PKCS#12 with an empty password and legacy encryption, as
// the portal made them.
func ParsePublishSettings(data []byte) (*PublishSettings, error) {
	if len(data) > MaxPublishSettingsSize {
		return nil, fmt.Errorf("publish settings file is %d bytes; more than any real one (%d)", len(data), MaxPublishSettingsSize)
	}
	if err := xmldepth.Check(data, maxPublishSettingsDepth); err != nil {
		return nil, fmt.Errorf("not a publish settings file: %w", err)
	}
	var pd publishData
	dec := xml.NewDecoder(bytes.NewReader(data))
	// encoding/xml does not expand external or custom entities, so entity
	// expansion attacks do not apply; a strict decoder refuses them.
	dec.Strict = true
	if err := dec.Decode(&pd); err != nil {
		return nil, fmt.Errorf("not a publish settings file: %w", err)
	}
	ps := &PublishSettings{}
	for _, p := range pd.Profiles {
		for _, s := range p.Subscriptions {
			endpoint, certB64 := s.ServiceManagementURL, s.ManagementCertificate
			if endpoint == "" {
				endpoint = p.URL
			}
			if certB64 == "" {
				certB64 = p.ManagementCertificate
			}
			sub := PublishSubscription{ID: strings.ToLower(strings.TrimSpace(s.ID)), Name: s.Name, Endpoint: strings.TrimRight(endpoint, "/")}
			if !ValidSubscription(sub.ID) {
				return nil, fmt.Errorf("publish settings: subscription %q has no valid Id", s.Name)
			}
			if certB64 == "" {
				return nil, fmt.Errorf("publish settings: subscription %s has no ManagementCertificate", sub.ID)
			}
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(certB64), ""))
			if err != nil {
				return nil, fmt.Errorf("publish settings: the ManagementCertificate of %s is not base64: %w", sub.ID, err)
			}
			b, err := export.Load(der, func() (string, error) {
				return "", errors.New("the management certificate is protected by a password; publish settings files use none")
			})
			if err != nil {
				return nil, fmt.Errorf("publish settings: the ManagementCertificate of %s: %w", sub.ID, err)
			}
			if b.Key == nil {
				return nil, fmt.Errorf("publish settings: the ManagementCertificate of %s has no private key", sub.ID)
			}
			sub.Certificate = tls.Certificate{Certificate: [][]byte{b.Cert.Raw}, PrivateKey: b.Key, Leaf: b.Cert}
			sub.Thumbprint = Thumbprint(b.Cert)
			ps.Subscriptions = append(ps.Subscriptions, sub)
		}
	}
	if len(ps.Subscriptions) == 0 {
		return nil, errors.New("the publish settings file lists no subscription")
	}
	return ps, nil
}

// maxPublishSettingsDepth bounds element nesting. Real files nest three
// levels (PublishData, PublishProfile, Subscription).
const maxPublishSettingsDepth = 32

// Pick returns the subscription with the given ID (case-insensitive), or
// the only one when id is empty.
func (ps *PublishSettings) Pick(id string) (*PublishSubscription, error) {
	if id == "" {
		if len(ps.Subscriptions) == 1 {
			return &ps.Subscriptions[0], nil
		}
		var ids []string
		for _, s := range ps.Subscriptions {
			ids = append(ids, fmt.Sprintf("%s (%s)", s.ID, s.Name))
		}
		return nil, &AmbiguousSubscriptionError{IDs: ids}
	}
	for i, s := range ps.Subscriptions {
		if strings.EqualFold(s.ID, id) {
			return &ps.Subscriptions[i], nil
		}
	}
	return nil, fmt.Errorf("subscription %s is not in the publish settings file", id)
}

// AmbiguousSubscriptionError reports a publish settings file with several
// subscriptions when none was chosen.
type AmbiguousSubscriptionError struct{ IDs []string }

func (e *AmbiguousSubscriptionError) Error() string {
	return "the publish settings file has several subscriptions; choose one with --subscription: " + strings.Join(e.IDs, ", ")
}
