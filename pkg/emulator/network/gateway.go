package network

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/azcert/azcert/pkg/emulator"
)

// Members of a gateway resource the emulator reads or sets.
const (
	keyConfig  = "vpnClientConfiguration"
	keyRoots   = "vpnClientRootCertificates"
	keyRevoked = "vpnClientRevokedCertificates"
	gwType     = "Microsoft.Network/virtualNetworkGateways"
)

func (s *Service) gatewayID(rg, name string) string {
	return "/subscriptions/" + s.h.Subscription() + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworkGateways/" + name
}

// newGateway makes a gateway as the portal makes a VpnGw1 for
// point-to-site with certificate authentication, before any certificate is
// uploaded.
func (s *Service) newGateway(rg, name string) *gateway {
	id := s.gatewayID(rg, name)
	net := "/subscriptions/" + s.h.Subscription() + "/resourceGroups/" + rg + "/providers/Microsoft.Network/"
	doc := map[string]any{
		"location": s.location,
		"tags":     map[string]any{},
		"properties": map[string]any{
			"enablePrivateIpAddress": false,
			"ipConfigurations": []any{map[string]any{
				"name": "default",
				"id":   id + "/ipConfigurations/default",
				"type": gwType + "/ipConfigurations",
				"properties": map[string]any{
					"privateIPAllocationMethod": "Dynamic",
					"publicIPAddress":           map[string]any{"id": net + "publicIPAddresses/" + name + "-ip"},
					"subnet":                    map[string]any{"id": net + "virtualNetworks/" + name + "-vnet/subnets/GatewaySubnet"},
					"provisioningState":         "Succeeded",
				},
			}},
			"natRules":                          []any{},
			"virtualNetworkGatewayPolicyGroups": []any{},
			"enableBgpRouteTranslationForNat":   false,
			"disableIPSecReplayProtection":      false,
			"sku":                               map[string]any{"name": "VpnGw1", "tier": "VpnGw1", "capacity": json.Number("2")},
			"gatewayType":                       "Vpn",
			"vpnType":                           "RouteBased",
			"enableBgp":                         false,
			"activeActive":                      false,
			"vpnClientConfiguration": map[string]any{
				"vpnClientAddressPool":              map[string]any{"addressPrefixes": []any{"172.16.201.0/24"}},
				"vpnClientProtocols":                []any{"IkeV2", "OpenVPN"},
				"vpnAuthenticationTypes":            []any{"Certificate"},
				keyRoots:                            []any{},
				keyRevoked:                          []any{},
				"vngClientConnectionConfigurations": []any{},
				"radiusServers":                     []any{},
				"vpnClientIpsecPolicies":            []any{},
			},
			"bgpSettings":            map[string]any{"asn": json.Number("65515"), "bgpPeeringAddress": "10.1.255.254", "peerWeight": json.Number("0")},
			"vpnGatewayGeneration":   "Generation1",
			"allowRemoteVnetTraffic": false,
			"allowVirtualWanTraffic": false,
			"resourceGuid":           emulator.NewGUID(),
		},
	}
	g := &gateway{rg: rg, name: name, etag: newETag()}
	s.finish(g, doc)
	return g
}

// finish sets the read-only members of doc, the gateway's new resource,
// and makes it the gateway's: id, name, type, etag, provisioningState
// "Succeeded", the resourceGuid it had, and the ids and etags of the
// certificate items.
func (s *Service) finish(g *gateway, doc map[string]any) {
	id := s.gatewayID(g.rg, g.name)
	doc["name"], doc["id"], doc["type"], doc["etag"] = g.name, id, gwType, g.etag
	if _, ok := doc["location"]; !ok {
		doc["location"] = s.location
	}
	props, _ := doc["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		doc["properties"] = props
	}
	props["provisioningState"] = "Succeeded"
	if old, _ := g.doc["properties"].(map[string]any); old != nil && old["resourceGuid"] != nil {
		props["resourceGuid"] = old["resourceGuid"]
	}
	for _, c := range []string{keyRoots, keyRevoked} {
		for _, it := range collectionOf(doc, c) {
			m, _ := it.(map[string]any)
			if m == nil {
				continue
			}
			n, _ := m["name"].(string)
			m["id"], m["etag"] = id+"/"+c+"/"+n, g.etag
			p, _ := m["properties"].(map[string]any)
			if p == nil {
				p = map[string]any{}
				m["properties"] = p
			}
			p["provisioningState"] = "Succeeded"
		}
	}
	g.doc = doc
}

// render is the resource as answered: "Updating" while its operation runs
// (or always, for the answer to the PUT itself).
func (s *Service) render(g *gateway, updating ...bool) map[string]any {
	out := make(map[string]any, len(g.doc))
	for k, v := range g.doc {
		out[k] = v
	}
	if s.h.Now().Before(g.busyUntil) || len(updating) > 0 && updating[0] {
		props, _ := g.doc["properties"].(map[string]any)
		cp := make(map[string]any, len(props))
		for k, v := range props {
			cp[k] = v
		}
		cp["provisioningState"] = "Updating"
		out["properties"] = cp
	}
	return out
}

// collectionOf returns properties.vpnClientConfiguration.<c> of doc.
func collectionOf(doc map[string]any, c string) []any {
	props, _ := doc["properties"].(map[string]any)
	cfg, _ := props[keyConfig].(map[string]any)
	items, _ := cfg[c].([]any)
	return items
}

// decodeDoc reads a JSON object, numbers kept as written.
func decodeDoc(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("there is data after the JSON object")
	}
	return doc, nil
}

func cloneDoc(doc map[string]any) (map[string]any, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return decodeDoc(data)
}

// put answers Virtual Network Gateways - Create Or Update of an existing
// gateway.
func (s *Service) put(w http.ResponseWriter, r *http.Request, g *gateway, body []byte, base, version string) {
	if len(body) > emulator.MaxBodySize {
		emulator.WriteARMError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("The request body is larger than %d bytes.", emulator.MaxBodySize))
		return
	}
	doc, err := decodeDoc(body)
	if err != nil {
		emulator.WriteARMError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+emulator.Clip(err.Error()))
		return
	}
	ifMatch := strings.Join(r.Header.Values("If-Match"), ",")
	s.h.Lock()
	defer s.h.Unlock()
	now := s.h.Now()
	if strings.TrimSpace(ifMatch) != "" && !etagMatches(ifMatch, g.etag) {
		emulator.WriteARMError(w, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
			"Operation failed because the etag in If-Match (%s) is not the current etag of virtual network gateway '%s'. Read the gateway again.", emulator.Clip(ifMatch), g.name))
		return
	}
	if now.Before(g.busyUntil) {
		emulator.WriteARMError(w, http.StatusConflict, "AnotherOperationInProgress", fmt.Sprintf(
			"Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: %s. Please retry later.", g.opURL))
		return
	}
	if status, code, msg := checkResource(doc); msg != "" {
		emulator.WriteARMError(w, status, code, msg)
		return
	}
	if loc, ok := doc["location"].(string); ok && normLocation(loc) != normLocation(stringOf(g.doc["location"])) {
		emulator.WriteARMError(w, http.StatusBadRequest, "InvalidResourceLocation", fmt.Sprintf(
			"The resource '%s' already exists in location '%s'; it cannot be moved to '%s'.", g.name, stringOf(g.doc["location"]), emulator.Clip(loc)))
		return
	}
	old, oldETag, oldBusy, oldURL := g.doc, g.etag, g.busyUntil, g.opURL
	g.etag = newETag()
	s.finish(g, doc)
	g.busyUntil = now.Add(s.delay)
	op := s.newOperation(g.busyUntil)
	g.opURL = base + "/subscriptions/" + s.h.Subscription() + "/providers/Microsoft.Network/locations/" + normLocation(stringOf(doc["location"])) +
		"/operations/" + op.id + "?api-version=" + version
	if err := s.h.SaveLocked(); err != nil {
		g.doc, g.etag, g.busyUntil, g.opURL = old, oldETag, oldBusy, oldURL
		s.h.Logf("emulator: %v", err)
		emulator.WriteARMError(w, http.StatusInternalServerError, "InternalServerError", "The emulator could not save its state; the change was not made.")
		return
	}
	w.Header().Set("Azure-AsyncOperation", g.opURL)
	w.Header().Set("Retry-After", retrySeconds(s.delay))
	w.Header().Set("ETag", g.etag)
	emulator.WriteJSON(w, http.StatusOK, s.render(g, true))
}

func stringOf(v any) string { s, _ := v.(string); return s }

// normLocation writes a region as ARM's paths do: "West Europe" is
// "westeurope".
func normLocation(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }

// etagMatches reports whether an If-Match value (a list of entity tags, or
// "*") matches etag. Microsoft.Network's etags are weak (W/"..."), and
// If-Match takes them as they are read, so the comparison ignores W/.
func etagMatches(ifMatch, etag string) bool {
	bare := func(t string) string { return strings.Trim(strings.TrimPrefix(strings.TrimSpace(t), "W/"), `"`) }
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t != "" && bare(t) != "" && bare(t) == bare(etag) {
			return true
		}
	}
	return false
}

var hexThumbprint = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)

// checkResource checks the body of a PUT (and a resource from the state
// file): its point-to-site certificates above all. It returns the status,
// code and message of a refusal, or an empty message; revoked thumbprints
// are written in upper case.
func checkResource(doc map[string]any) (int, string, string) {
	bad := func(code, format string, args ...any) (int, string, string) {
		return http.StatusBadRequest, code, fmt.Sprintf(format, args...)
	}
	if msg := canon(doc, "properties", "location", "name", "id", "type", "etag", "tags"); msg != "" {
		return bad("InvalidRequestFormat", "%s", msg)
	}
	props, ok := doc["properties"].(map[string]any)
	if !ok {
		return bad("InvalidRequestFormat", "Cannot parse the request: the virtual network gateway has no properties object.")
	}
	if msg := canon(props, keyConfig, "provisioningState", "resourceGuid"); msg != "" {
		return bad("InvalidRequestFormat", "%s", msg)
	}
	cfgV, has := props[keyConfig]
	if !has || cfgV == nil {
		return 0, "", ""
	}
	cfg, ok := cfgV.(map[string]any)
	if !ok {
		return bad("InvalidRequestFormat", "Cannot parse the request: properties.%s is not an object.", keyConfig)
	}
	if msg := canon(cfg, keyRoots, keyRevoked); msg != "" {
		return bad("InvalidRequestFormat", "%s", msg)
	}
	for _, c := range []string{keyRoots, keyRevoked} {
		if v, has := cfg[c]; has && v != nil {
			if _, ok := v.([]any); !ok {
				return bad("InvalidRequestFormat", "Cannot parse the request: properties.%s.%s is not an array.", keyConfig, c)
			}
		}
	}
	roots, revoked := collectionOf(doc, keyRoots), collectionOf(doc, keyRevoked)
	if len(roots) > MaxRoots {
		// The code is the emulator's own: the REST reference documents the
		// limit (VPN Gateway FAQ) but not the error.
		return bad("VpnClientRootCertificateLimitReached", "The virtual network gateway has %d VPN client root certificates; at most %d are allowed.", len(roots), MaxRoots)
	}
	if st, code, msg := checkItems(roots, "vpnClientRootCertificate", func(p map[string]any) string {
		data, _ := p["publicCertData"].(string)
		der, err := emulator.DecodeBase64(data)
		if data == "" || err != nil {
			return "its publicCertData is not base64 (the certificate's DER, without the PEM header and footer)"
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			return "its publicCertData is not an X.509 certificate"
		}
		return ""
	}); msg != "" {
		return st, code, msg
	}
	return checkItems(revoked, "vpnClientRevokedCertificate", func(p map[string]any) string {
		tp, _ := p["thumbprint"].(string)
		if !hexThumbprint.MatchString(tp) {
			return "its thumbprint is not 40 hex digits (the SHA-1 thumbprint of the client certificate)"
		}
		p["thumbprint"] = strings.ToUpper(tp)
		return ""
	})
}

// checkItems checks the names of a collection (valid, unique in any case)
// and each item's properties with check.
func checkItems(items []any, kind string, check func(p map[string]any) string) (int, string, string) {
	seen := map[string]bool{}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return http.StatusBadRequest, "InvalidRequestFormat", fmt.Sprintf("Cannot parse the request: %s %d is not an object.", kind, i+1)
		}
		if msg := canon(m, "name", "properties", "id", "etag"); msg != "" {
			return http.StatusBadRequest, "InvalidRequestFormat", msg
		}
		if p, ok := m["properties"].(map[string]any); ok {
			if msg := canon(p, "publicCertData", "thumbprint", "provisioningState"); msg != "" {
				return http.StatusBadRequest, "InvalidRequestFormat", msg
			}
		}
		n, _ := m["name"].(string)
		if !namePattern.MatchString(n) {
			return http.StatusBadRequest, "InvalidResourceName", fmt.Sprintf(
				"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", emulator.Clip(n))
		}
		if seen[strings.ToLower(n)] {
			return http.StatusBadRequest, "DuplicateResourceName", fmt.Sprintf("The %s name %s is used more than once.", kind, emulator.Clip(n))
		}
		seen[strings.ToLower(n)] = true
		p, _ := m["properties"].(map[string]any)
		if p == nil {
			p = map[string]any{}
			m["properties"] = p
		}
		if why := check(p); why != "" {
			code := "Invalid" + strings.ToUpper(kind[:1]) + kind[1:]
			return http.StatusBadRequest, code, fmt.Sprintf("The %s %s is invalid: %s.", kind, emulator.Clip(n), why)
		}
	}
	return 0, "", ""
}

// canon renames the members of m that match keys in another case to the
// keys' own case, as ARM reads member names without regard to case; two
// members that differ only in case are refused.
func canon(m map[string]any, keys ...string) string {
	for _, k := range keys {
		for name, v := range m {
			if name == k || !strings.EqualFold(name, k) {
				continue
			}
			if _, dup := m[k]; dup {
				return fmt.Sprintf("Cannot parse the request: the member %s is given twice (as %s too).", k, emulator.Clip(name))
			}
			delete(m, name)
			m[k] = v
		}
	}
	return ""
}
