package network

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/azcert/azcert/pkg/emulator"
)

// stateNetwork is the service's member of the state file, left out while
// there is no gateway, so that files of earlier releases are saved as they
// were.
const stateNetwork = "network"

type stateService struct {
	Gateways []stateGateway `json:"gateways"`
}

// stateGateway keeps a gateway's resource whole: a PUT keeps whatever it
// is sent. Operations are not kept; a restart ends them.
type stateGateway struct {
	ResourceGroup string          `json:"resourceGroup"`
	Name          string          `json:"name"`
	ETag          string          `json:"etag"`
	Resource      json.RawMessage `json:"resource"`
}

// StateKeys implements emulator.Service.
func (s *Service) StateKeys() []string { return []string{stateNetwork} }

// SaveState implements emulator.Service.
func (s *Service) SaveState() []any {
	if len(s.gateways) == 0 {
		return []any{nil}
	}
	out := stateService{Gateways: []stateGateway{}}
	for _, k := range emulator.SortedKeys(s.gateways) {
		g := s.gateways[k]
		data, err := json.Marshal(g.doc)
		if err != nil {
			// A resource is decoded JSON, which always encodes.
			continue
		}
		out.Gateways = append(out.Gateways, stateGateway{ResourceGroup: g.rg, Name: g.name, ETag: g.etag, Resource: data})
	}
	return []any{out}
}

// LoadState implements emulator.Service.
func (s *Service) LoadState(decode func(key string, v any) error) error {
	var st stateService
	if err := decode(stateNetwork, &st); err != nil {
		return err
	}
	for i, sg := range st.Gateways {
		where := fmt.Sprintf("VPN gateway %d (%s/%s)", i+1, sg.ResourceGroup, sg.Name)
		fail := func(err error) error { return &emulator.StateError{Reason: where, Err: err} }
		if err := checkGateway(sg.ResourceGroup, sg.Name); err != nil {
			return fail(err)
		}
		if s.gateways[key(sg.ResourceGroup, sg.Name)] != nil {
			return fail(errors.New("the gateway is listed twice"))
		}
		if !etagMatches(sg.ETag, sg.ETag) {
			return fail(fmt.Errorf("the etag %q is not an entity tag", sg.ETag))
		}
		doc, err := decodeDoc(sg.Resource)
		if err != nil {
			return fail(err)
		}
		if _, _, msg := checkResource(doc); msg != "" {
			return fail(errors.New(msg))
		}
		s.gateways[key(sg.ResourceGroup, sg.Name)] = &gateway{rg: sg.ResourceGroup, name: sg.Name, doc: doc, etag: sg.ETag}
	}
	return nil
}
