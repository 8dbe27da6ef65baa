package mgmttest

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// stateVersion is the version of the state file format.
const stateVersion = 1

// maxStateSize bounds the state file: 100 management certificates and a
// few hundred service certificates take well under a megabyte.
const maxStateSize = 64 << 20

// StateError reports a state file that cannot be read or is not a valid
// state. The file is never overwritten after such an error.
type StateError struct {
	// Path is the state file.
	Path string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error names the file and says what is wrong with it.
func (e *StateError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("state file %s: %s: %v", e.Path, e.Reason, e.Err)
	}
	return fmt.Sprintf("state file %s: %s", e.Path, e.Reason)
}

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

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

// apimService is an API Management service (ARM) and its certificates.
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

// store is the emulator's state: the subscription's management
// certificates, its hosted services' certificates and its API Management
// services' certificates.
type store struct {
	subscription string
	mgmt         map[string]*mgmtCert
	services     map[string]*service     // by lower-case name
	apim         map[string]*apimService // by apimKey
}

func newStore() *store {
	return &store{mgmt: map[string]*mgmtCert{}, services: map[string]*service{}, apim: map[string]*apimService{}}
}

// apimKey is the map key of an API Management service: resource group and
// service names are not case-sensitive in ARM.
func apimKey(rg, name string) string {
	return strings.ToLower(rg) + "/" + strings.ToLower(name)
}

// apimService finds an API Management service.
func (st *store) apimService(rg, name string) *apimService {
	return st.apim[apimKey(rg, name)]
}

func (st *store) addAPIMService(rg, name string) {
	if st.apimService(rg, name) == nil {
		st.apim[apimKey(rg, name)] = &apimService{rg: rg, name: name, certs: map[string]*apimCert{}}
	}
}

// service finds a hosted service; names are DNS labels, so case does not
// matter.
func (st *store) service(name string) *service {
	return st.services[strings.ToLower(name)]
}

func (st *store) addService(name string) {
	if st.service(name) == nil {
		st.services[strings.ToLower(name)] = &service{name: name, certs: map[string][]byte{}}
	}
}

// The JSON form of the state file.
type stateFile struct {
	Version                int             `json:"version"`
	Subscription           string          `json:"subscription"`
	ManagementCertificates []stateMgmtCert `json:"managementCertificates"`
	Services               []stateService  `json:"services"`
	// APIMServices was added after version 1 was in use; files without it
	// are still version 1.
	APIMServices []stateAPIMService `json:"apimServices"`
}

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

func (st *store) marshal() ([]byte, error) {
	f := stateFile{Version: stateVersion, Subscription: st.subscription,
		ManagementCertificates: []stateMgmtCert{}, Services: []stateService{}, APIMServices: []stateAPIMService{}}
	for _, t := range sortedKeys(st.mgmt) {
		c := st.mgmt[t]
		f.ManagementCertificates = append(f.ManagementCertificates, stateMgmtCert{Thumbprint: t, Data: c.der, Created: c.created})
	}
	for _, k := range sortedKeys(st.services) {
		svc := st.services[k]
		ss := stateService{Name: svc.name, Certificates: []stateSvcCert{}}
		for _, t := range sortedKeys(svc.certs) {
			ss.Certificates = append(ss.Certificates, stateSvcCert{Thumbprint: t, Data: svc.certs[t]})
		}
		f.Services = append(f.Services, ss)
	}
	for _, k := range sortedKeys(st.apim) {
		svc := st.apim[k]
		as := stateAPIMService{ResourceGroup: svc.rg, Name: svc.name, Certificates: []stateAPIMCert{}}
		for _, id := range sortedKeys(svc.certs) {
			c := svc.certs[id]
			as.Certificates = append(as.Certificates, stateAPIMCert{ID: c.id, Data: c.cert.Raw, ETag: c.etag, UsedBy: c.usedBy})
		}
		f.APIMServices = append(f.APIMServices, as)
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// loadState reads a state file; a missing file gives (nil, nil).
func loadState(path string) (*store, error) {
	fail := func(reason string, err error) (*store, error) {
		return nil, &StateError{Path: path, Reason: reason, Err: err}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return fail("cannot open it", unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return fail("cannot read it", unwrapPathError(err))
	}
	if len(data) > maxStateSize {
		return fail(fmt.Sprintf("it is larger than %d bytes", maxStateSize), nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sf stateFile
	if err := dec.Decode(&sf); err != nil {
		return fail("it is not a valid emulator state (JSON)", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("it has data after the JSON object", nil)
	}
	if sf.Version != stateVersion {
		return fail(fmt.Sprintf("format version %d is not supported (want %d)", sf.Version, stateVersion), nil)
	}
	if err := checkPathSegment("subscription ID", sf.Subscription); err != nil {
		return fail("bad subscription", err)
	}
	st := newStore()
	st.subscription = sf.Subscription
	for i, c := range sf.ManagementCertificates {
		cert, thumb, err := parseStoredCert(c.Data, c.Thumbprint)
		if err != nil {
			return fail(fmt.Sprintf("management certificate %d", i+1), err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fail(fmt.Sprintf("management certificate %d", i+1), fmt.Errorf("it has a %T key, not RSA", cert.PublicKey))
		}
		if _, dup := st.mgmt[thumb]; dup {
			return fail(fmt.Sprintf("management certificate %s is listed twice", thumb), nil)
		}
		st.mgmt[thumb] = &mgmtCert{thumb: thumb, der: c.Data, pub: x509.MarshalPKCS1PublicKey(pub), created: serviceTime(c.Created)}
	}
	for _, ss := range sf.Services {
		if err := checkPathSegment("hosted service name", ss.Name); err != nil {
			return fail("bad hosted service", err)
		}
		if st.service(ss.Name) != nil {
			return fail(fmt.Sprintf("hosted service %s is listed twice", ss.Name), nil)
		}
		st.addService(ss.Name)
		svc := st.service(ss.Name)
		for i, c := range ss.Certificates {
			_, thumb, err := parseStoredCert(c.Data, c.Thumbprint)
			if err != nil {
				return fail(fmt.Sprintf("certificate %d of hosted service %s", i+1, ss.Name), err)
			}
			svc.certs[thumb] = c.Data
		}
	}
	for _, as := range sf.APIMServices {
		if err := checkAPIMService(as.ResourceGroup, as.Name); err != nil {
			return fail("bad API Management service", err)
		}
		if st.apimService(as.ResourceGroup, as.Name) != nil {
			return fail(fmt.Sprintf("API Management service %s/%s is listed twice", as.ResourceGroup, as.Name), nil)
		}
		st.addAPIMService(as.ResourceGroup, as.Name)
		svc := st.apimService(as.ResourceGroup, as.Name)
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
	return st, nil
}

func parseStoredCert(der []byte, thumb string) (*x509.Certificate, string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	got := thumbprint(der)
	if !strings.EqualFold(thumb, got) {
		return nil, "", fmt.Errorf("its thumbprint %q does not match its data (%s)", thumb, got)
	}
	return cert, got, nil
}

// saveLocked writes the state file, if there is one. s.mu must be held,
// which also serialises the writes.
func (s *Server) saveLocked() error {
	if s.cfg.StatePath == "" {
		return nil
	}
	data, err := s.st.marshal()
	if err != nil {
		return fmt.Errorf("encoding the state: %w", err)
	}
	if err := export.WriteFiles([]export.File{{Path: s.cfg.StatePath, Data: data, Mode: export.ModeSecret}}, true); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// serviceTime is t as the real service writes it: UTC, in .NET's ticks of
// 100 ns, so at most 7 fractional digits (2014-06-11T15:34:52.5530537Z),
// never Go's 9.
func serviceTime(t time.Time) time.Time {
	return t.UTC().Truncate(100 * time.Nanosecond)
}
