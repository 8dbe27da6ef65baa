package apim

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/azcert/azcert/pkg/emulator"
)

// apimService is an API Management service and its certificates.
type apimService struct {
	rg, name string
	certs    map[string]*apimCert // by lower-case id
}

// apimCert is an API Management certificate. Only its public part is
// kept: the emulator never hands the key back, as the real service does not.
type apimCert struct {
	id     string // as it was first created; ids are not case-sensitive
	cert   *x509.Certificate
	etag   string   // quoted, as in the ETag header
	usedBy []string // back ends referring to it, sorted
}

// apimKey is the map key of an API Management service: resource group and
// service names are not case-sensitive in ARM.
func apimKey(rg, name string) string {
	return strings.ToLower(rg) + "/" + strings.ToLower(name)
}

// apimService finds an API Management service.
func (s *Service) apimService(rg, name string) *apimService {
	return s.apim[apimKey(rg, name)]
}

func (s *Service) addAPIMService(rg, name string) {
	if s.apimService(rg, name) == nil {
		s.apim[apimKey(rg, name)] = &apimService{rg: rg, name: name, certs: map[string]*apimCert{}}
	}
}

// stateAPIMServices is the service's member of the state file. It was
// added after version 1 was in use; files without it are still version 1.
const stateAPIMServices = "apimServices"

type stateAPIMService struct {
	ResourceGroup string          `json:"resourceGroup"`
	Name          string          `json:"name"`
	Certificates  []stateAPIMCert `json:"certificates"`
}

// stateAPIMCert keeps the public certificate only (Data is its DER): the
// .pfx and its password are not needed once the certificate is accepted.
type stateAPIMCert struct {
	ID     string   `json:"id"`
	Data   []byte   `json:"data"`
	ETag   string   `json:"etag"`
	UsedBy []string `json:"usedBy,omitempty"`
}

// StateKeys implements emulator.Service.
func (s *Service) StateKeys() []string { return []string{stateAPIMServices} }

// SaveState implements emulator.Service.
func (s *Service) SaveState() []any {
	out := []stateAPIMService{}
	for _, k := range emulator.SortedKeys(s.apim) {
		svc := s.apim[k]
		as := stateAPIMService{ResourceGroup: svc.rg, Name: svc.name, Certificates: []stateAPIMCert{}}
		for _, id := range emulator.SortedKeys(svc.certs) {
			c := svc.certs[id]
			as.Certificates = append(as.Certificates, stateAPIMCert{ID: c.id, Data: c.cert.Raw, ETag: c.etag, UsedBy: c.usedBy})
		}
		out = append(out, as)
	}
	return []any{out}
}

// LoadState implements emulator.Service.
func (s *Service) LoadState(decode func(key string, v any) error) error {
	fail := func(reason string, err error) error {
		return &emulator.StateError{Reason: reason, Err: err}
	}
	var services []stateAPIMService
	if err := decode(stateAPIMServices, &services); err != nil {
		return err
	}
	for _, as := range services {
		if err := checkAPIMService(as.ResourceGroup, as.Name); err != nil {
			return fail("bad API Management service", err)
		}
		if s.apimService(as.ResourceGroup, as.Name) != nil {
			return fail(fmt.Sprintf("API Management service %s/%s is listed twice", as.ResourceGroup, as.Name), nil)
		}
		s.addAPIMService(as.ResourceGroup, as.Name)
		svc := s.apimService(as.ResourceGroup, as.Name)
		for i, c := range as.Certificates {
			where := fmt.Sprintf("certificate %d of API Management service %s/%s", i+1, as.ResourceGroup, as.Name)
			if msg := checkAPIMCertID(c.ID); msg != "" {
				return fail(where, errors.New(msg))
			}
			if _, dup := svc.certs[strings.ToLower(c.ID)]; dup {
				return fail(where, fmt.Errorf("the id %s is listed twice", c.ID))
			}
			cert, err := x509.ParseCertificate(c.Data)
			if err != nil {
				return fail(where, err)
			}
			if !validETag(c.ETag) {
				return fail(where, fmt.Errorf("the ETag %q is not a quoted entity tag", c.ETag))
			}
			for _, b := range c.UsedBy {
				if b == "" {
					return fail(where, errors.New("an empty back end name in usedBy"))
				}
			}
			used := slices.Clone(c.UsedBy)
			slices.Sort(used)
			svc.certs[strings.ToLower(c.ID)] = &apimCert{id: c.ID, cert: cert, etag: c.ETag, usedBy: slices.Compact(used)}
		}
	}
	return nil
}
