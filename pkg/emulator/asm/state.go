package asm

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

type mgmtCert struct {
	thumb   string
	der     []byte
	pub     []byte // PKCS#1 RSAPublicKey DER
	created time.Time
}

type service struct {
	name  string
	certs map[string][]byte // thumbprint -> certificate DER
}

// service finds a hosted service; names are DNS labels, so case does not
// matter.
func (s *Service) service(name string) *service {
	return s.services[strings.ToLower(name)]
}

func (s *Service) ensureService(name string) {
	if s.service(name) == nil {
		s.services[strings.ToLower(name)] = &service{name: name, certs: map[string][]byte{}}
	}
}

// The service's members of the state file.
const (
	stateManagementCertificates = "managementCertificates"
	stateServices               = "services"
)

type stateMgmtCert struct {
	Thumbprint string    `json:"thumbprint"`
	Data       []byte    `json:"data"`
	Created    time.Time `json:"created"`
}

type stateService struct {
	Name         string         `json:"name"`
	Certificates []stateSvcCert `json:"certificates"`
}

type stateSvcCert struct {
	Thumbprint string `json:"thumbprint"`
	Data       []byte `json:"data"`
}

// StateKeys implements emulator.Service.
func (s *Service) StateKeys() []string {
	return []string{stateManagementCertificates, stateServices}
}

// SaveState implements emulator.Service.
func (s *Service) SaveState() []any {
	mgmt := []stateMgmtCert{}
	for _, t := range emulator.SortedKeys(s.mgmt) {
		c := s.mgmt[t]
		mgmt = append(mgmt, stateMgmtCert{Thumbprint: t, Data: c.der, Created: c.created})
	}
	services := []stateService{}
	for _, k := range emulator.SortedKeys(s.services) {
		svc := s.services[k]
		ss := stateService{Name: svc.name, Certificates: []stateSvcCert{}}
		for _, t := range emulator.SortedKeys(svc.certs) {
			ss.Certificates = append(ss.Certificates, stateSvcCert{Thumbprint: t, Data: svc.certs[t]})
		}
		services = append(services, ss)
	}
	return []any{mgmt, services}
}

// LoadState implements emulator.Service.
func (s *Service) LoadState(decode func(key string, v any) error) error {
	fail := func(reason string, err error) error {
		return &emulator.StateError{Reason: reason, Err: err}
	}
	var mgmt []stateMgmtCert
	var services []stateService
	if err := decode(stateManagementCertificates, &mgmt); err != nil {
		return err
	}
	if err := decode(stateServices, &services); err != nil {
		return err
	}
	for i, c := range mgmt {
		cert, thumb, err := parseStoredCert(c.Data, c.Thumbprint)
		if err != nil {
			return fail(fmt.Sprintf("management certificate %d", i+1), err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fail(fmt.Sprintf("management certificate %d", i+1), fmt.Errorf("it has a %T key, not RSA", cert.PublicKey))
		}
		if _, dup := s.mgmt[thumb]; dup {
			return fail(fmt.Sprintf("management certificate %s is listed twice", thumb), nil)
		}
		s.mgmt[thumb] = &mgmtCert{thumb: thumb, der: c.Data, pub: x509.MarshalPKCS1PublicKey(pub), created: serviceTime(c.Created)}
	}
	for _, ss := range services {
		if err := emulator.CheckPathSegment("hosted service name", ss.Name); err != nil {
			return fail("bad hosted service", err)
		}
		if s.service(ss.Name) != nil {
			return fail(fmt.Sprintf("hosted service %s is listed twice", ss.Name), nil)
		}
		s.ensureService(ss.Name)
		svc := s.service(ss.Name)
		for i, c := range ss.Certificates {
			_, thumb, err := parseStoredCert(c.Data, c.Thumbprint)
			if err != nil {
				return fail(fmt.Sprintf("certificate %d of hosted service %s", i+1, ss.Name), err)
			}
			svc.certs[thumb] = c.Data
		}
	}
	return nil
}

func parseStoredCert(der []byte, thumb string) (*x509.Certificate, string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	got := emulator.Thumbprint(der)
	if !strings.EqualFold(thumb, got) {
		return nil, "", fmt.Errorf("its thumbprint %q does not match its data (%s)", thumb, got)
	}
	return cert, got, nil
}

// serviceTime is t as the real service writes it: UTC, in .NET's ticks of
// 100 ns, so at most 7 fractional digits (2014-06-11T15:34:52.5530537Z),
// never Go's 9.
func serviceTime(t time.Time) time.Time {
	return t.UTC().Truncate(100 * time.Nanosecond)
}
