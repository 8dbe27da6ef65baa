package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/graph"
)

// ciDeploy is the app id of the emulator's --entra-app ci-deploy.
const ciDeploy = "41ccda45-f054-4b4c-828b-d68d4fc40758"

// faultBeforePatch injects faults into the emulator at the moment azcert
// sends its first PATCH of keyCredentials: after it has read the
// collection, before the write is served. With lose, that PATCH is served
// and its answer lost instead (the write applied, azcert not told).
func faultBeforePatch(srv interface{ Inject(emulator.Fault) }, faults []emulator.Fault, lose bool) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		f.GraphOptions = func(o *graph.Options) {
			o.RetryDelay = time.Millisecond
			hc, ok := o.Transport.(*http.Client)
			if !ok {
				panic("the Graph transport is not an *http.Client")
			}
			next := hc.Transport
			var fired atomic.Bool
			isPatch := func(r *http.Request) bool { return r.Method == http.MethodPatch }
			var rt http.RoundTripper = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if isPatch(r) && fired.CompareAndSwap(false, true) {
					for _, ft := range faults {
						srv.Inject(ft)
					}
				}
				return next.RoundTrip(r)
			})
			if lose {
				l := &loseAnswers{next: next, match: isPatch}
				l.n.Store(1)
				rt = l
			}
			o.Transport = &http.Client{Transport: rt}
		}
	}
}

// entraThumbs lists the thumbprints of ci-deploy's credentials, read with
// azcert entra list -o json.
func entraThumbs(t *testing.T, env map[string]string) []string {
	t.Helper()
	r := invoke(t, []string{"entra", "list", "--app", ciDeploy, "-o", "json"}, nil, env, nil)
	if r.code != 0 {
		t.Fatalf("entra list: exit %d\n%s", r.code, r.stderr)
	}
	var creds []struct{ Thumbprint string }
	if err := json.Unmarshal([]byte(r.stdout), &creds); err != nil {
		t.Fatalf("entra list: %v\n%s", err, r.stdout)
	}
	var out []string
	for _, c := range creds {
		out = append(out, c.Thumbprint)
	}
	return out
}

// TestEntraAddPatchFaults: a fault between azcert's read of the
// credentials and its write (PATCH) never loses the credential already
// there. Faults the retries and the re-read get past end with both
// credentials; faults beyond them end in one clear error line (exit 6)
// that says the state, and the credential already there is still there.
func TestEntraAddPatchFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against the emulator")
	}
	fx := reliabilityFixtures(t)
	first, second := fx.path("mgmt.cer"), fx.path("site.cer")
	firstThumb, secondThumb := mustThumb(t, first), mustThumb(t, second)
	for _, tc := range []struct {
		name   string
		faults []emulator.Fault
		lose   bool
		code   int
		want   []string
		stderr string
	}{
		{name: "PATCH throttled", faults: []emulator.Fault{{Kind: emulator.FaultThrottle, Count: 2}}, code: 0, want: []string{firstThumb, secondThumb}},
		{name: "PATCH 500", faults: []emulator.Fault{{Kind: emulator.FaultInternalError, Count: 1}}, code: 0, want: []string{firstThumb, secondThumb}},
		{name: "PATCH connection reset", faults: []emulator.Fault{{Kind: emulator.FaultReset, Count: 1}}, code: 0, want: []string{firstThumb, secondThumb}},
		{name: "PATCH applied, answer lost", lose: true, code: 0, want: []string{firstThumb, secondThumb}},
		{name: "Graph down from the PATCH on", faults: []emulator.Fault{{Kind: emulator.FaultInternalError, Count: 1000}}, code: 6, want: []string{firstThumb}, stderr: "not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := startRelEmulator(t, fx, nil)
			if r := invoke(t, []string{"entra", "add", first, "--app", ciDeploy}, nil, emu.env, nil); r.code != 0 {
				t.Fatalf("first add: exit %d\n%s", r.code, r.stderr)
			}
			r := invoke(t, []string{"entra", "add", second, "--app", ciDeploy, "--retries", "2", "-o", "json"}, nil, emu.env, faultBeforePatch(emu.srv, tc.faults, tc.lose))
			if r.code != tc.code || r.panicked != nil || r.timedOut {
				t.Fatalf("exit %d, want %d (panicked %v, timed out %v)\n%s", r.code, tc.code, r.panicked, r.timedOut, r.stderr)
			}
			t.Logf("stderr:\n%s", r.stderr)
			if tc.code != 0 {
				checkErrorLines(t, r.stderr)
				if !strings.Contains(r.stderr, tc.stderr) || !strings.Contains(r.stderr, "azcert: hint: ") {
					t.Errorf("stderr does not say %q with a hint:\n%s", tc.stderr, r.stderr)
				}
			} else if !strings.Contains(r.stdout, `"kept": [`+"\n"+`    "`+firstThumb+`"`) {
				t.Errorf("the answer does not list %s as kept:\n%s", firstThumb, r.stdout)
			}
			emu.srv.ClearFaults()
			got := entraThumbs(t, emu.env)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("credentials after the add: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEntraRemoveByKeyIDAsks: remove --key-id (the PATCH path) on a
// terminal asks first, and only "y" or "yes" removes; the other
// credential stays.
func TestEntraRemoveByKeyIDAsks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against the emulator")
	}
	fx := reliabilityFixtures(t)
	emu := startRelEmulator(t, fx, nil)
	keep, victim := fx.path("mgmt.cer"), fx.path("site.cer")
	for _, c := range []string{keep, victim} {
		if r := invoke(t, []string{"entra", "add", c, "--app", ciDeploy}, nil, emu.env, nil); r.code != 0 {
			t.Fatalf("add %s: exit %d\n%s", c, r.code, r.stderr)
		}
	}
	r := invoke(t, []string{"entra", "list", "--app", ciDeploy, "-o", "json"}, nil, emu.env, nil)
	var creds []struct{ KeyID, Thumbprint string }
	if err := json.Unmarshal([]byte(r.stdout), &creds); err != nil || len(creds) != 2 {
		t.Fatalf("list: %v %s", err, r.stdout)
	}
	victimThumb, keyID := mustThumb(t, victim), ""
	for _, c := range creds {
		if c.Thumbprint == victimThumb {
			keyID = c.KeyID
		}
	}
	terminal := func(f *cmdutil.Factory) { f.IO.InTTY, f.IO.ErrTTY = true, true }
	for _, tt := range []struct {
		answer string
		code   int
		left   int
	}{{"n\n", cmdutil.ExitUsage, 2}, {"\n", cmdutil.ExitUsage, 2}, {"yes\n", cmdutil.ExitOK, 1}} {
		r := invoke(t, []string{"entra", "remove", "--app", ciDeploy, "--key-id", strings.ToUpper(keyID)}, strings.NewReader(tt.answer), emu.env, terminal)
		if r.code != tt.code {
			t.Errorf("answer %q: exit %d, want %d\n%s", tt.answer, r.code, tt.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "Remove credential "+keyID) || !strings.Contains(r.stderr, "[y/N]") {
			t.Errorf("answer %q: no confirmation question in %q", tt.answer, r.stderr)
		}
		if got := entraThumbs(t, emu.env); len(got) != tt.left || got[0] != mustThumb(t, keep) {
			t.Errorf("answer %q: credentials %v, want %d with %s first", tt.answer, got, tt.left, mustThumb(t, keep))
		}
	}
}

// TestEntraAddConcurrentWriter: another writer empties the collection
// right after azcert's write, before its confirming read. azcert sees
// its credential and the one it kept missing, writes again, and says that
// it put the kept one back: no credential lost.
func TestEntraAddConcurrentWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against the emulator")
	}
	fx := reliabilityFixtures(t)
	first, second := fx.path("mgmt.cer"), fx.path("site.cer")
	emu := startRelEmulator(t, fx, nil)
	if r := invoke(t, []string{"entra", "add", first, "--app", ciDeploy}, nil, emu.env, nil); r.code != 0 {
		t.Fatalf("first add: exit %d\n%s", r.code, r.stderr)
	}
	var fired atomic.Bool
	concurrent := func(f *cmdutil.Factory) {
		f.GraphOptions = func(o *graph.Options) {
			o.RetryDelay = time.Millisecond
			next := o.Transport.(*http.Client).Transport
			o.Transport = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := next.RoundTrip(r)
				if err == nil && r.Method == http.MethodPatch && fired.CompareAndSwap(false, true) {
					other, _ := http.NewRequest(http.MethodPatch, r.URL.String(), strings.NewReader(`{"keyCredentials":[]}`))
					other.Header.Set("Authorization", r.Header.Get("Authorization"))
					other.Header.Set("Content-Type", "application/json")
					oresp, oerr := next.RoundTrip(other)
					if oerr != nil || oresp.StatusCode != http.StatusNoContent {
						t.Errorf("the concurrent writer's PATCH: %v %v", oresp, oerr)
					}
					if oresp != nil {
						oresp.Body.Close()
					}
				}
				return resp, err
			})}
		}
	}
	r := invoke(t, []string{"entra", "add", second, "--app", ciDeploy, "-o", "json"}, nil, emu.env, concurrent)
	if r.code != 0 || !fired.Load() {
		t.Fatalf("exit %d (concurrent writer ran: %v)\n%s", r.code, fired.Load(), r.stderr)
	}
	firstThumb := mustThumb(t, first)
	if !strings.Contains(r.stdout, `"restored": [`+"\n"+`    "`+firstThumb+`"`) || !strings.Contains(r.stderr, "were put back") {
		t.Errorf("the answer does not say %s was put back:\nstdout:\n%s\nstderr:\n%s", firstThumb, r.stdout, r.stderr)
	}
	if got, want := entraThumbs(t, emu.env), []string{firstThumb, mustThumb(t, second)}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("credentials after the add: %v, want %v", got, want)
	}
}
