package keyvault

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

// stateKey is the service's member of the state file. It was added after
// version 1 was in use; files without it are still version 1, and it is
// left out while the vault is empty, so such files are saved as they were.
const stateKey = "keyVault"

type stateVault struct {
	Certificates []stateCert `json:"certificates"`
}

// stateCert is a certificate with its versions, oldest first; a deleted
// one has its deletion and purge dates (Unix seconds).
type stateCert struct {
	Name               string         `json:"name"`
	Versions           []stateVersion `json:"versions"`
	DeletedDate        *int64         `json:"deletedDate,omitempty"`
	ScheduledPurgeDate *int64         `json:"scheduledPurgeDate,omitempty"`
}

// stateVersion keeps the public certificate only (Data is its DER).
type stateVersion struct {
	Version     string            `json:"version"`
	Data        []byte            `json:"data"`
	Enabled     bool              `json:"enabled"`
	Created     int64             `json:"created"`
	Updated     int64             `json:"updated"`
	ContentType string            `json:"contentType"`
	Exportable  bool              `json:"exportable"`
	ReuseKey    bool              `json:"reuseKey,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// StateKeys implements emulator.Service.
func (s *Service) StateKeys() []string { return []string{stateKey} }

// SaveState implements emulator.Service: nil (no member) while the vault
// holds nothing.
func (s *Service) SaveState() []any {
	if len(s.certs) == 0 {
		return []any{nil}
	}
	out := stateVault{Certificates: []stateCert{}}
	for _, k := range emulator.SortedKeys(s.certs) {
		c := s.certs[k]
		sc := stateCert{Name: c.name, Versions: []stateVersion{}}
		for _, v := range c.versions {
			sc.Versions = append(sc.Versions, stateVersion{
				Version: v.version, Data: v.cert.Raw, Enabled: v.enabled,
				Created: unix(v.created), Updated: unix(v.updated),
				ContentType: v.contentType, Exportable: v.exportable, ReuseKey: v.reuseKey, Tags: v.tags,
			})
		}
		if c.deleted != nil {
			d, p := unix(c.deleted.deletedDate), unix(c.deleted.scheduledPurgeDate)
			sc.DeletedDate, sc.ScheduledPurgeDate = &d, &p
		}
		out.Certificates = append(out.Certificates, sc)
	}
	return []any{out}
}

var versionPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// LoadState implements emulator.Service.
func (s *Service) LoadState(decode func(key string, v any) error) error {
	var st *stateVault
	if err := decode(stateKey, &st); err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	for i, sc := range st.Certificates {
		where := fmt.Sprintf("Key Vault certificate %d (%q)", i+1, sc.Name)
		fail := func(format string, args ...any) error {
			return &emulator.StateError{Reason: where + ": " + fmt.Sprintf(format, args...)}
		}
		if !namePattern.MatchString(sc.Name) {
			return fail("the name is not 1 to 127 letters, digits and dashes")
		}
		key := strings.ToLower(sc.Name)
		if s.certs[key] != nil {
			return fail("the name is listed twice")
		}
		if len(sc.Versions) == 0 {
			return fail("it has no versions")
		}
		if (sc.DeletedDate == nil) != (sc.ScheduledPurgeDate == nil) {
			return fail("it has one of deletedDate and scheduledPurgeDate without the other")
		}
		c := &certificate{name: sc.Name}
		seen := map[string]bool{}
		for j, sv := range sc.Versions {
			if !versionPattern.MatchString(sv.Version) || seen[sv.Version] {
				return fail("version %d: %q is not 32 lower-case hex digits, or is listed twice", j+1, sv.Version)
			}
			seen[sv.Version] = true
			cert, err := x509.ParseCertificate(sv.Data)
			if err != nil {
				return &emulator.StateError{Reason: fmt.Sprintf("%s: version %s", where, sv.Version), Err: err}
			}
			if sv.ContentType != contentPKCS12 && sv.ContentType != contentPEM {
				return fail("version %s: the content type %q is not %s or %s", sv.Version, sv.ContentType, contentPKCS12, contentPEM)
			}
			if len(sv.Tags) > maxTags {
				return fail("version %s: more than %d tags", sv.Version, maxTags)
			}
			c.versions = append(c.versions, &certVersion{
				version: sv.Version, cert: cert, enabled: sv.Enabled,
				created: time.Unix(sv.Created, 0).UTC(), updated: time.Unix(sv.Updated, 0).UTC(),
				tags: sv.Tags, contentType: sv.ContentType, exportable: sv.Exportable, reuseKey: sv.ReuseKey,
			})
		}
		if sc.DeletedDate != nil {
			c.deleted = &deletion{deletedDate: time.Unix(*sc.DeletedDate, 0).UTC(), scheduledPurgeDate: time.Unix(*sc.ScheduledPurgeDate, 0).UTC()}
		}
		s.certs[key] = c
	}
	return nil
}
