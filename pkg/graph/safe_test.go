package graph_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azcert/azcert/pkg/graph"
)

type recordingCred struct {
	mu     sync.Mutex
	scopes []string
}

func (c *recordingCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes...)
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// setup is an application with two earlier credentials, a client, and the
// certificate to add.
type setup struct {
	g       *fakeGraph
	app     *fakeObj
	earlier []fakeCred
	cert    *x509.Certificate
	other   *x509.Certificate // a certificate a concurrent writer adds
	c       *graph.Client
}

func newSetup(t *testing.T, mod func(*graph.Options)) *setup {
	t.Helper()
	g := newFakeGraph(t)
	_, a := newCert(t, "a.contoso.net")
	_, b := newCert(t, "b.contoso.net")
	_, cert := newCert(t, "new.contoso.net")
	_, other := newCert(t, "other.contoso.net")
	ea, eb := stored(g, a, "CN=a.contoso.net"), stored(g, b, "portal upload")
	app := g.addObject(graph.Application, "contoso-ci", ea, eb)
	return &setup{g: g, app: app, earlier: []fakeCred{ea, eb}, cert: cert, other: other, c: newClient(t, g, mod)}
}

func (s *setup) add(t *testing.T) (*graph.AddResult, error) {
	t.Helper()
	return s.c.AddCredential(context.Background(), graph.Application, s.app.id, graph.NewKeyCredential(s.cert, "", time.Time{}, time.Time{}))
}

// intact fails unless every earlier credential is stored as it was (keyId,
// key, dates, name, identifier), and reports whether the new one is there
// (exactly once).
func (s *setup) intact(t *testing.T) (added bool) {
	t.Helper()
	creds := s.g.snapshot(s.app.id)
	for _, e := range s.earlier {
		found := false
		for _, c := range creds {
			if c.keyID == e.keyID {
				found = true
				if !bytes.Equal(c.key, e.key) || !c.start.Equal(e.start) || !c.end.Equal(e.end) || c.name != e.name || c.cki != e.cki {
					t.Errorf("credential %s changed: %+v, was %+v", e.keyID, c, e)
				}
			}
		}
		if !found {
			t.Errorf("credential %s (%s) was lost", e.keyID, e.name)
		}
	}
	n := 0
	for _, c := range creds {
		if thumb(c.key) == thumb(s.cert.Raw) {
			n++
		}
	}
	if n > 1 {
		t.Errorf("the new credential is there %d times", n)
	}
	return n == 1
}

func TestAddCredential(t *testing.T) {
	s := newSetup(t, nil)
	res, err := s.add(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyPresent || res.Rounds != 1 || len(res.Restored) != 0 || res.Credential.Thumbprint != thumb(s.cert.Raw) || !graph.ValidID(res.Credential.KeyID) {
		t.Errorf("AddCredential = %+v", res)
	}
	if !s.intact(t) {
		t.Error("the new credential is not there")
	}
	if got := s.g.count("PATCH", s.app.id); got != 1 {
		t.Errorf("%d PATCHes, want 1", got)
	}
	again, err := s.add(t)
	if err != nil || !again.AlreadyPresent || again.Rounds != 0 || again.Credential.KeyID != res.Credential.KeyID {
		t.Errorf("second AddCredential = %+v, %v; want already present", again, err)
	}
	if got := s.g.count("PATCH", s.app.id); got != 1 {
		t.Errorf("a rerun wrote: %d PATCHes", got)
	}
}

// TestAddCredentialFaults: whatever fails between the read and the write,
// or loses the write's answer, no earlier credential is lost and the new
// one is there once, or the error says it is not.
func TestAddCredentialFaults(t *testing.T) {
	tests := []struct {
		name       string
		maxRetries int
		fault      func(s *setup) func(w http.ResponseWriter, r *http.Request, body []byte) bool
		before     func(s *setup) func(n int, o *fakeObj)
		after      func(s *setup) func(n int, o *fakeObj) string
		wantErr    bool
		wantAdded  bool
		restored   int
	}{
		{name: "500s beyond the retries, not applied", maxRetries: 1, wantAdded: true,
			fault: failPatches(3, func(w http.ResponseWriter, r *http.Request, g *fakeGraph) {
				g.graphError(w, r, http.StatusInternalServerError, "generalException", "An internal server error occurred.")
			})},
		{name: "connection reset before the write", maxRetries: 1, wantAdded: true,
			fault: failPatches(1, func(w http.ResponseWriter, _ *http.Request, _ *fakeGraph) { hijackClose(w) })},
		{name: "answer lost after the write, retried by the pipeline", maxRetries: 2, wantAdded: true,
			after: func(*setup) func(int, *fakeObj) string { return outcomeOnce("reset") }},
		{name: "answer lost after the write, no retries", maxRetries: -1, wantAdded: true,
			after: func(*setup) func(int, *fakeObj) string { return outcomeOnce("reset") }},
		{name: "500 after the write applied, no retries", maxRetries: -1, wantAdded: true,
			after: func(*setup) func(int, *fakeObj) string { return outcomeOnce("500") }},
		{name: "a concurrent writer removed an earlier credential before our write", wantAdded: true,
			before: func(s *setup) func(int, *fakeObj) {
				return func(n int, o *fakeObj) {
					if n == 1 {
						o.creds = o.creds[1:]
					}
				}
			}},
		{name: "a concurrent stale write after ours drops ours and an earlier one, adds another", wantAdded: true, restored: 1,
			after: func(s *setup) func(int, *fakeObj) string {
				return func(n int, o *fakeObj) string {
					if n == 1 {
						o.creds = []fakeCred{s.earlier[1], storedLocked(s.g, s.other, "other")}
						s.earlier = append(s.earlier, o.creds[1])
					}
					return ""
				}
			}},
		{name: "every write drops the new credential", wantErr: true,
			after: func(s *setup) func(int, *fakeObj) string {
				return func(_ int, o *fakeObj) string {
					o.creds = o.creds[:len(o.creds)-1]
					return ""
				}
			}},
		{name: "Graph denies the write", wantErr: true,
			fault: failPatches(100, func(w http.ResponseWriter, r *http.Request, g *fakeGraph) {
				g.graphError(w, r, http.StatusForbidden, graph.CodeDenied, "Insufficient privileges to complete the operation.")
			})},
		{name: "the re-read fails after the write", wantErr: true, wantAdded: true, maxRetries: -1,
			fault: func(s *setup) func(http.ResponseWriter, *http.Request, []byte) bool {
				return func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
					if r.Method == http.MethodGet && s.g.count("PATCH", s.app.id) > 0 {
						s.g.graphError(w, r, http.StatusServiceUnavailable, "serviceNotAvailable", "Service unavailable.")
						return true
					}
					return false
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(o *graph.Options) { o.MaxRetries = tt.maxRetries })
			if tt.fault != nil {
				s.g.fault = tt.fault(s)
			}
			if tt.before != nil {
				s.g.before = tt.before(s)
			}
			if tt.after != nil {
				s.g.after = tt.after(s)
			}
			res, err := s.add(t)
			s.g.mu.Lock()
			s.g.fault, s.g.before, s.g.after = nil, nil, nil
			s.g.mu.Unlock()
			added := s.intact(t)
			if (err != nil) != tt.wantErr || added != tt.wantAdded {
				t.Fatalf("AddCredential = %+v, %v; added %v; want error %v, added %v", res, err, added, tt.wantErr, tt.wantAdded)
			}
			if err != nil {
				var se *graph.StateError
				if !errors.As(err, &se) || se.State == "" {
					t.Errorf("error %v is not a *StateError with the state", err)
				}
				t.Logf("error: %v", err)
				return
			}
			if len(res.Restored) != tt.restored {
				t.Errorf("Restored = %+v, want %d", res.Restored, tt.restored)
			}
		})
	}
}

// failPatches answers the first n PATCHes with fail, before they are
// carried out.
func failPatches(n int, fail func(http.ResponseWriter, *http.Request, *fakeGraph)) func(*setup) func(http.ResponseWriter, *http.Request, []byte) bool {
	return func(s *setup) func(http.ResponseWriter, *http.Request, []byte) bool {
		seen := 0
		return func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if r.Method != http.MethodPatch || seen >= n {
				return false
			}
			seen++
			fail(w, r, s.g)
			return true
		}
	}
}

// outcomeOnce gives the first applied PATCH the outcome, the others none.
func outcomeOnce(outcome string) func(int, *fakeObj) string {
	return func(n int, _ *fakeObj) string {
		if n == 1 {
			return outcome
		}
		return ""
	}
}

// TestAddCredentialDenied: a refused write is not retried and the error
// says the credentials were not changed.
func TestAddCredentialDenied(t *testing.T) {
	s := newSetup(t, nil)
	s.g.fault = failPatches(100, func(w http.ResponseWriter, r *http.Request, g *fakeGraph) {
		g.graphError(w, r, http.StatusForbidden, graph.CodeDenied, "Insufficient privileges to complete the operation.")
	})(s)
	_, err := s.add(t)
	if !graph.IsDenied(err) || !strings.Contains(err.Error(), "not changed") {
		t.Errorf("error %v, want denied and 'not changed'", err)
	}
	if n := s.g.count("PATCH", s.app.id); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}

// TestAddCredentialNoKeys: a read that gives no certificate for an earlier
// credential stops before any write.
func TestAddCredentialNoKeys(t *testing.T) {
	s := newSetup(t, nil)
	s.g.fault = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.Method == http.MethodGet {
			s.g.mu.Lock()
			defer s.g.mu.Unlock()
			s.g.writeJSON(w, s.g.object(s.app, false))
			return true
		}
		return false
	}
	if _, err := s.add(t); err == nil || !strings.Contains(err.Error(), "did not return the certificate") {
		t.Errorf("error %v", err)
	}
	if n := s.g.count("PATCH", s.app.id); n != 0 {
		t.Errorf("%d PATCHes, want none", n)
	}
}

// TestTwoWritersRace: two clients add a credential each; the second
// one's stale write lands between the first one's write and its re-read.
// Both end with their credential and no earlier one is lost.
func TestTwoWritersRace(t *testing.T) {
	s := newSetup(t, nil)
	other := newClient(t, s.g, nil)
	_, second := newCert(t, "second.contoso.net")
	ctx := context.Background()
	stale, err := other.Get(ctx, graph.Application, s.app.id, true)
	if err != nil {
		t.Fatal(err)
	}
	s.g.after = func(n int, o *fakeObj) string {
		if n != 1 {
			return ""
		}
		// The other writer's PATCH, from its read before ours.
		var creds []fakeCred
		for _, kc := range stale.KeyCredentials {
			for _, e := range s.earlier {
				if e.keyID == kc.KeyID {
					creds = append(creds, e)
				}
			}
		}
		o.creds = append(creds, fakeCred{keyID: "eeeeeeee-0000-4000-8000-000000000001", name: "second", cki: thumb(second.Raw),
			typ: graph.TypeX509Cert, usage: graph.UsageVerify, key: second.Raw, start: second.NotBefore, end: second.NotAfter})
		return ""
	}
	res, err := s.add(t)
	if err != nil || res.Rounds != 2 {
		t.Fatalf("AddCredential = %+v, %v; want success in 2 rounds", res, err)
	}
	s.g.after = nil
	if !s.intact(t) {
		t.Error("the first writer's credential is not there")
	}
	final, _ := other.Get(ctx, graph.Application, s.app.id, false)
	if final.Credential(thumb(second.Raw)) == nil {
		t.Error("the second writer's credential was lost")
	}
}

func TestRemoveCredential(t *testing.T) {
	s := newSetup(t, func(o *graph.Options) { o.MaxRetries = -1 })
	ctx := context.Background()
	gone := s.earlier[0]
	s.earlier = s.earlier[1:]
	s.g.after = outcomeOnce("reset")
	res, err := s.c.RemoveCredential(ctx, graph.Application, s.app.id, gone.keyID)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyAbsent || res.Removed.KeyID != gone.keyID || res.Rounds != 1 {
		t.Errorf("RemoveCredential = %+v", res)
	}
	s.intact(t)
	for _, c := range s.g.snapshot(s.app.id) {
		if c.keyID == gone.keyID {
			t.Error("the credential is still there")
		}
	}
	again, err := s.c.RemoveCredential(ctx, graph.Application, s.app.id, gone.keyID)
	if err != nil || !again.AlreadyAbsent {
		t.Errorf("second RemoveCredential = %+v, %v", again, err)
	}
	if _, err := s.c.RemoveCredential(ctx, graph.Application, s.app.id, "not-a-guid"); err == nil {
		t.Error("RemoveCredential(not-a-guid) succeeded")
	}
}

// TestRemoveCredentialPutsBack: a write after which another credential is
// missing puts it back in the next round.
func TestRemoveCredentialPutsBack(t *testing.T) {
	s := newSetup(t, nil)
	_, third := newCert(t, "c.contoso.net")
	ec := stored(s.g, third, "c")
	s.g.mu.Lock()
	s.app.creds = append(s.app.creds, ec)
	s.g.mu.Unlock()
	gone := s.earlier[0]
	s.earlier = []fakeCred{s.earlier[1], ec}
	s.g.after = func(n int, o *fakeObj) string {
		if n == 1 {
			o.creds = o.creds[:1] // drops c
		}
		return ""
	}
	res, err := s.c.RemoveCredential(context.Background(), graph.ServicePrincipal, s.app.id, gone.keyID)
	if err == nil {
		t.Fatalf("a service principal id used as an application's: %+v", res)
	}
	res, err = s.c.RemoveCredential(context.Background(), graph.Application, s.app.id, gone.keyID)
	if err != nil || res.Rounds != 2 || len(res.Restored) != 1 || res.Restored[0].KeyID != ec.keyID {
		t.Fatalf("RemoveCredential = %+v, %v; want 2 rounds, c restored", res, err)
	}
	s.intact(t)
}
