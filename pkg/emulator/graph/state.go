package graph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/azcert/azcert/pkg/emulator"
)

// stateKey is the service's member of the state file. It was added after
// version 1 was in use, and is left out while there are no applications,
// so that older files are saved as they were.
const stateKey = "entra"

type stateEntra struct {
	Apps []stateApp `json:"apps"`
}

// stateApp is an application by name (its ids follow from it) with the
// keyCredentials of the application and of its service principal, as
// Graph writes them, keys included.
type stateApp struct {
	Name                     string     `json:"name"`
	KeyCredentials           []wireCred `json:"keyCredentials"`
	ServicePrincipalKeyCreds []wireCred `json:"servicePrincipalKeyCredentials"`
}

// StateKeys implements emulator.Service.
func (s *Service) StateKeys() []string { return []string{stateKey} }

// SaveState implements emulator.Service: nil (no member) while there are
// no applications.
func (s *Service) SaveState() []any {
	if len(s.apps) == 0 {
		return []any{nil}
	}
	out := stateEntra{Apps: []stateApp{}}
	for _, a := range s.apps {
		out.Apps = append(out.Apps, stateApp{Name: a.ids.Name, KeyCredentials: wireCreds(a.appCreds, true), ServicePrincipalKeyCreds: wireCreds(a.spCreds, true)})
	}
	return []any{out}
}

// LoadState implements emulator.Service. Applications in the file keep
// their credentials; they come in the order of Config.Apps, then those
// only in the file.
func (s *Service) LoadState(decode func(key string, v any) error) error {
	var st *stateEntra
	if err := decode(stateKey, &st); err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	var loaded []*app
	for i, sa := range st.Apps {
		fail := func(format string, args ...any) error {
			return &emulator.StateError{Reason: fmt.Sprintf("Entra ID application %d (%q): ", i+1, sa.Name) + fmt.Sprintf(format, args...)}
		}
		if err := CheckAppName(sa.Name); err != nil {
			return fail("%s", strings.TrimPrefix(err.Error(), "graph: "))
		}
		for _, b := range loaded {
			if strings.EqualFold(b.ids.Name, sa.Name) {
				return fail("the name is listed twice")
			}
		}
		a := newApp(sa.Name)
		var err error
		if a.appCreds, err = loadCreds(sa.KeyCredentials); err != nil {
			return fail("keyCredentials: %v", err)
		}
		if a.spCreds, err = loadCreds(sa.ServicePrincipalKeyCreds); err != nil {
			return fail("servicePrincipalKeyCredentials: %v", err)
		}
		loaded = append(loaded, a)
	}
	var merged []*app
	for _, a := range s.apps {
		if i := slices.IndexFunc(loaded, func(b *app) bool { return strings.EqualFold(b.ids.Name, a.ids.Name) }); i >= 0 {
			a = loaded[i]
		}
		merged = append(merged, a)
	}
	for _, b := range loaded {
		if !containsApp(merged, b.ids.Name) {
			merged = append(merged, b)
		}
	}
	if len(merged) > MaxApps {
		return &emulator.StateError{Reason: fmt.Sprintf("more than %d Entra ID applications", MaxApps)}
	}
	loaded = merged
	s.apps = loaded
	return nil
}

func containsApp(apps []*app, name string) bool {
	for _, a := range apps {
		if strings.EqualFold(a.ids.Name, name) {
			return true
		}
	}
	return false
}

// loadCreds checks credentials as a PATCH would.
func loadCreds(list []wireCred) ([]*keyCred, error) {
	if len(list) > MaxKeyCredentials {
		return nil, fmt.Errorf("more than %d", MaxKeyCredentials)
	}
	out := []*keyCred{}
	seen := map[string]bool{}
	for j, w := range list {
		if w.KeyID == nil {
			return nil, fmt.Errorf("credential %d has no keyId", j+1)
		}
		k, msg := parseCred(w, true)
		if msg != "" {
			return nil, fmt.Errorf("credential %d: %s", j+1, msg)
		}
		if seen[k.keyID] {
			return nil, fmt.Errorf("credential %d: the keyId %s is listed twice", j+1, k.keyID)
		}
		seen[k.keyID] = true
		out = append(out, k)
	}
	return out, nil
}
