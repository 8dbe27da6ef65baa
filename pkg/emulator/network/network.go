// Package network emulates the Azure Resource Manager (ARM) endpoints of
// VPN gateways (Microsoft.Network/virtualNetworkGateways) as a service of
// an emulator.Server, for package network (pkg/network) and its users:
// the point-to-site root and revoked certificates, which are properties of
// the gateway, changed by a read-modify-write of the whole resource.
//
// It owns the ARM paths under the Microsoft.Network provider; package apim
// owns the other ARM paths, so package azure gives this service to
// emulator.New before apim's. Requests must carry "Authorization: Bearer
// <Token>" (the ARM token apim checks too; 401 otherwise) and an
// api-version of the form YYYY-MM-DD from 2018-01-01 to 2025-05-01 (azcert
// sends 2024-05-01), and are served for the gateways named in
// Config.Gateways. With G = /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworkGateways/<name>:
//
//	GET G?api-version=V    Virtual Network Gateways - Get (etag in the body and the ETag header)
//	PUT G?api-version=V    Virtual Network Gateways - Create Or Update (of an existing gateway)
//	GET /subscriptions/<sub>/providers/Microsoft.Network/locations/<loc>/operations/<id>?api-version=V
//	                       the operation a PUT started (its Azure-AsyncOperation URL)
//
// A gateway is a VpnGw1, route-based, with a point-to-site configuration
// (address pool 172.16.201.0/24, IKEv2 and OpenVPN, certificate
// authentication) and no certificates. A PUT keeps what it is sent (it is
// a PUT) except the read-only members (id, name, type, etag, resourceGuid,
// provisioningState), which the emulator sets; an If-Match that is not the
// current etag answers 412 PreconditionFailed; a PUT while the previous
// one's operation runs answers 409 AnotherOperationInProgress; more than 20
// root certificates, publicCertData that is not a base64 DER certificate,
// a revoked thumbprint that is not 40 hex digits, and invalid or duplicate
// names answer 400. A PUT answers 200 with provisioningState "Updating",
// a new etag, and an Azure-AsyncOperation URL that reports InProgress for
// Config.OperationDelay, then Succeeded (Retry-After gives the seconds
// left). Error codes the REST reference does not document (the 20-root
// limit, bad certificate data) are the emulator's own.
// https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways
// https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
//
// Errors are {"error": {"code", "message"}}; every answer carries
// x-ms-request-id and x-ms-correlation-request-id GUIDs; throttling faults
// answer 429 with "Retry-After: 1". Its member of the state file is
// "network", left out while no gateway exists.
package network

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

// DefaultLocation is the region of the gateways when Config.Location is "".
const DefaultLocation = "westeurope"

// MaxRoots is the most root certificates a gateway takes.
const MaxRoots = 20

// maxOperations bounds the operations kept for polling; the oldest go first.
const maxOperations = 1000

// Config configures a Service.
type Config struct {
	// Gateways names the VPN gateways that exist, as
	// "resourceGroup/gatewayName", in addition to those in the state file.
	// Names are not case-sensitive.
	Gateways []string
	// Token is the bearer token requests must carry; "" means a random
	// one (see Service.Token). Package azure gives it apim's.
	Token string
	// OperationDelay is how long the operation of a PUT stays InProgress.
	OperationDelay time.Duration
	// Location is the gateways' region; "" means DefaultLocation.
	Location string
}

// Service is the VPN gateway emulator, an emulator.Service. Its methods
// are safe for concurrent use once it is attached to a Server.
type Service struct {
	token    string
	delay    time.Duration
	location string
	specs    []string
	h        *emulator.Host

	// Guarded by the Host's lock.
	gateways map[string]*gateway
	ops      map[string]*operation
	opOrder  []string
}

var _ emulator.Service = (*Service)(nil)

// gateway is a VPN gateway: its resource as last written, with the
// read-only members set, and provisioningState "Succeeded".
type gateway struct {
	rg, name string
	doc      map[string]any
	etag     string
	// busyUntil is when the operation of the last PUT ends; until then
	// the gateway is "Updating".
	busyUntil time.Time
	opURL     string
}

type operation struct {
	id   string
	end  time.Time
	done bool
}

// New returns a VPN gateway emulator, to be given to emulator.New.
func New(cfg Config) (*Service, error) {
	if cfg.OperationDelay < 0 {
		return nil, errors.New("network: the operation delay is negative")
	}
	for _, c := range []byte(cfg.Token) {
		if c <= 0x20 || c >= 0x7f {
			return nil, errors.New("the ARM token must be printable ASCII without spaces")
		}
	}
	s := &Service{token: cfg.Token, delay: cfg.OperationDelay, location: cfg.Location,
		specs: slices.Clone(cfg.Gateways), gateways: map[string]*gateway{}, ops: map[string]*operation{}}
	if s.token == "" {
		var b [32]byte
		_, _ = rand.Read(b[:])
		s.token = hex.EncodeToString(b[:])
	}
	if s.location == "" {
		s.location = DefaultLocation
	}
	for _, spec := range s.specs {
		if _, _, err := ParseGateway(spec); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ParseGateway reads "resourceGroup/gatewayName" (Config.Gateways, the
// --vpn-gateway flag).
func ParseGateway(spec string) (rg, name string, err error) {
	rg, name, ok := strings.Cut(spec, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("the VPN gateway %q is not of the form resourceGroup/gatewayName", spec)
	}
	if err := checkGateway(rg, name); err != nil {
		return "", "", err
	}
	return rg, name, nil
}

var (
	rgPattern   = regexp.MustCompile(`^[-\w._()]{0,89}[-\w_()]$`)
	namePattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)
)

func checkGateway(rg, name string) error {
	if err := emulator.CheckPathSegment("resource group name", rg); err != nil {
		return err
	}
	if !rgPattern.MatchString(rg) {
		return fmt.Errorf("the resource group name %q is invalid: 1-90 letters, digits, _-.() not ending in a dot", rg)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("the VPN gateway name %q is invalid: 1-80 letters, digits, _.-, starting with a letter or digit and ending with a letter, digit or _", name)
	}
	return nil
}

func key(rg, name string) string { return strings.ToLower(rg) + "/" + strings.ToLower(name) }

// Attach implements emulator.Service: it adds Config.Gateways.
func (s *Service) Attach(h *emulator.Host) error {
	if s.h != nil {
		return errors.New("network: the service is attached to a server already")
	}
	s.h = h
	for _, spec := range s.specs {
		rg, name, _ := ParseGateway(spec)
		if s.gateways[key(rg, name)] == nil {
			s.gateways[key(rg, name)] = s.newGateway(rg, name)
		}
	}
	return nil
}

// Owns implements emulator.Service: the ARM paths of the Microsoft.Network
// provider, at subscription or resource group level.
func (s *Service) Owns(r *http.Request) bool {
	if !emulator.IsARMPath(r.URL.Path) {
		return false
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	is := func(i int, v string) bool { return len(segs) > i && strings.EqualFold(segs[i], v) }
	return is(2, "providers") && is(3, "Microsoft.Network") ||
		is(2, "resourceGroups") && is(4, "providers") && is(5, "Microsoft.Network")
}

const msgNotServed = "The emulator serves only virtual network gateways (/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworkGateways/<name>) and their operations."

// Serve implements emulator.Service.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, c *emulator.Call) {
	if c.BodyErr != nil {
		emulator.WriteARMError(w, http.StatusBadRequest, "InvalidRequestContent", "The request body could not be read.")
		return
	}
	if !s.authenticated(w, r) {
		return
	}
	version, ok := apiVersion(w, r)
	if !ok {
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[1], s.h.Subscription()) {
		sub := ""
		if len(segs) > 1 {
			sub = segs[1]
		}
		emulator.WriteARMError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", emulator.Clip(sub)))
		return
	}
	rest := segs[2:]
	is := func(i int, v string) bool { return len(rest) > i && strings.EqualFold(rest[i], v) }
	switch {
	case len(rest) == 6 && is(0, "resourceGroups") && is(2, "providers") && is(3, "Microsoft.Network") && is(4, "virtualNetworkGateways"):
		s.serveGateway(w, r, rest[1], rest[5], version, c.Body)
	case len(rest) == 6 && is(0, "providers") && is(1, "Microsoft.Network") && is(2, "locations") && is(4, "operations"):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		s.getOperation(w, rest[5])
	default:
		emulator.WriteARMError(w, http.StatusNotFound, "NotFound", msgNotServed)
	}
}

func (s *Service) serveGateway(w http.ResponseWriter, r *http.Request, rg, name, version string, body []byte) {
	if r.Method != http.MethodGet && r.Method != http.MethodPut {
		methodNotAllowed(w, r, "GET, PUT")
		return
	}
	s.h.Lock()
	g := s.gateways[key(rg, name)]
	s.h.Unlock()
	if g == nil {
		msg := fmt.Sprintf("The Resource 'Microsoft.Network/virtualNetworkGateways/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", emulator.Clip(name), emulator.Clip(rg))
		if r.Method == http.MethodPut {
			msg += " The emulator does not create gateways: name them with --vpn-gateway."
		}
		emulator.WriteARMError(w, http.StatusNotFound, "ResourceNotFound", msg)
		return
	}
	if r.Method == http.MethodGet {
		s.h.Lock()
		out, etag := s.render(g), g.etag
		s.h.Unlock()
		w.Header().Set("ETag", etag)
		emulator.WriteJSON(w, http.StatusOK, out)
		return
	}
	base := s.h.BaseURL(r)
	s.put(w, r, g, body, base, version)
}

// authenticated checks the bearer token and answers 401 when it is
// missing or wrong.
func (s *Service) authenticated(w http.ResponseWriter, r *http.Request) bool {
	fail := func(code, message string) bool {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"`)
		emulator.WriteARMError(w, http.StatusUnauthorized, code, message)
		return false
	}
	values := r.Header.Values("Authorization")
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		return fail("InvalidAuthenticationToken", "The access token is invalid.")
	}
	return true
}

var versionPattern = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`)

// apiVersion returns the api-version, or answers 400.
func apiVersion(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		emulator.WriteARMError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return "", false
	}
	if !versionPattern.MatchString(v) || v < "2018-01-01" || v > "2025-05-01" {
		emulator.WriteARMError(w, http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The emulator supports the versions of Microsoft.Network from 2018-01-01 to 2025-05-01.", emulator.Clip(v)))
		return "", false
	}
	return v, true
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	emulator.WriteARMError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("The %s method is not allowed on this resource (allowed: %s).", emulator.Clip(r.Method), allowed))
}

// Operations.

func (s *Service) getOperation(w http.ResponseWriter, id string) {
	s.h.Lock()
	op := s.ops[strings.ToLower(id)]
	now := s.h.Now()
	var status string
	var left time.Duration
	if op != nil {
		if !op.done && !now.Before(op.end) {
			op.done = true
		}
		status, left = "Succeeded", op.end.Sub(now)
		if !op.done {
			status = "InProgress"
		}
	}
	s.h.Unlock()
	if op == nil {
		emulator.WriteARMError(w, http.StatusNotFound, "OperationNotFound", fmt.Sprintf("The operation '%s' was not found.", emulator.Clip(id)))
		return
	}
	if status == "InProgress" {
		w.Header().Set("Retry-After", retrySeconds(left))
	}
	emulator.WriteJSON(w, http.StatusOK, map[string]any{"name": op.id, "status": status})
}

// retrySeconds is the Retry-After for a wait of d: whole seconds, rounded
// up, at most 10 (ARM's usual).
func retrySeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.Itoa(int(min(math.Ceil(d.Seconds()), 10)))
}

func (s *Service) newOperation(end time.Time) *operation {
	op := &operation{id: emulator.NewGUID(), end: end}
	s.ops[op.id] = op
	s.opOrder = append(s.opOrder, op.id)
	if len(s.opOrder) > maxOperations {
		delete(s.ops, s.opOrder[0])
		s.opOrder = s.opOrder[1:]
	}
	return op
}

// Accessors.

// Token returns the bearer token requests must carry.
func (s *Service) Token() string { return s.token }

// Gateways returns the gateways as "resourceGroup/name", sorted.
func (s *Service) Gateways() []string {
	s.h.Lock()
	defer s.h.Unlock()
	out := make([]string, 0, len(s.gateways))
	for _, k := range emulator.SortedKeys(s.gateways) {
		out = append(out, s.gateways[k].rg+"/"+s.gateways[k].name)
	}
	return out
}

// Roots returns the names of the root certificates of the gateway rg/name,
// in their order; nil for an unknown gateway.
func (s *Service) Roots(rg, name string) []string { return s.items(rg, name, keyRoots, "name") }

// Revoked returns the thumbprints of the revoked certificates of the
// gateway rg/name, in their order; nil for an unknown gateway.
func (s *Service) Revoked(rg, name string) []string {
	return s.items(rg, name, keyRevoked, "thumbprint")
}

func (s *Service) items(rg, name, collection, field string) []string {
	s.h.Lock()
	defer s.h.Unlock()
	g := s.gateways[key(rg, name)]
	if g == nil {
		return nil
	}
	out := []string{}
	for _, it := range collectionOf(g.doc, collection) {
		m, _ := it.(map[string]any)
		v, _ := m["name"].(string)
		if field != "name" {
			p, _ := m["properties"].(map[string]any)
			v, _ = p[field].(string)
		}
		out = append(out, v)
	}
	return out
}

// Update changes the gateway rg/name as a concurrent writer would (the
// portal, another tool): edit changes the resource in place, and the
// gateway gets a new etag, so that a client holding the old one meets 412.
// The result is checked as a PUT's body is.
func (s *Service) Update(rg, name string, edit func(resource map[string]any) error) error {
	s.h.Lock()
	defer s.h.Unlock()
	g := s.gateways[key(rg, name)]
	if g == nil {
		return fmt.Errorf("network: there is no VPN gateway %s/%s", rg, name)
	}
	doc, err := cloneDoc(g.doc)
	if err != nil {
		return err
	}
	if err := edit(doc); err != nil {
		return err
	}
	if _, _, msg := checkResource(doc); msg != "" {
		return errors.New("network: " + msg)
	}
	old, oldETag := g.doc, g.etag
	g.etag = newETag()
	s.finish(g, doc)
	if err := s.h.SaveLocked(); err != nil {
		g.doc, g.etag = old, oldETag
		return err
	}
	return nil
}

// Encoding helpers.

// newETag returns a weak entity tag shaped like Microsoft.Network's:
// W/"<guid>".
func newETag() string { return `W/"` + emulator.NewGUID() + `"` }

// Begin implements emulator.Service, as ARM (emulator.ARMBegin).
func (s *Service) Begin(w http.ResponseWriter, r *http.Request) string {
	return emulator.ARMBegin(w, r)
}

// WriteFault implements emulator.Service, in ARM's format.
func (s *Service) WriteFault(w http.ResponseWriter, _ *http.Request, kind emulator.FaultKind, location string) {
	emulator.WriteARMFault(w, kind, location)
}
