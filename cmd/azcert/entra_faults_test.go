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
