package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/keyvault"
)

// losingVault is losing for the Key Vault client.
func losingVault(n int32, match func(*http.Request) bool) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		f.KeyVaultOptions = func(o *keyvault.Options) {
			hc, ok := o.Transport.(*http.Client)
			if !ok {
				panic("the Key Vault transport is not an *http.Client")
			}
			l := &loseAnswers{next: hc.Transport, match: match}
			l.n.Store(n)
			o.Transport = &http.Client{Transport: l}
		}
	}
}

func isImport(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/import")
}

// TestKeyVaultImportFaults: throttling, server errors, resets and a lost
// answer end in exactly one imported version, or, beyond the retries, in
// exit 6 with none; a rerun imports nothing.
func TestKeyVaultImportFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against the emulator")
	}
	fx := reliabilityFixtures(t)
	sitePFX := fx.path("site.pfx")
	for _, tc := range []struct {
		name     string
		faults   []emulator.Fault
		edit     func(*cmdutil.Factory)
		args     []string
		code     int
		versions int
	}{
		{name: "429 throttled", faults: []emulator.Fault{{Kind: emulator.FaultThrottle, Count: 2}}, code: 0, versions: 1},
		{name: "500 twice", faults: []emulator.Fault{{Kind: emulator.FaultInternalError, Count: 2}}, code: 0, versions: 1},
		{name: "connection reset", faults: []emulator.Fault{{Kind: emulator.FaultReset, Count: 1}}, code: 0, versions: 1},
		{name: "the import's answer lost", edit: losingVault(1, isImport), code: 0, versions: 1},
		{name: "500 beyond the retries", faults: []emulator.Fault{{Kind: emulator.FaultInternalError, Count: 50}}, args: []string{"--retries", "1"}, code: 6, versions: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := startRelEmulator(t, fx, nil)
			for _, ft := range tc.faults {
				emu.srv.Inject(ft)
			}
			args := append([]string{"keyvault", "import", sitePFX, "--in-password", "env:RELPW"}, tc.args...)
			r := invoke(t, args, nil, emu.env, tc.edit)
			if r.code != tc.code || r.panicked != nil || r.timedOut {
				t.Fatalf("exit %d, want %d (panicked %v, timed out %v)\n%s", r.code, tc.code, r.panicked, r.timedOut, r.stderr)
			}
			if tc.code != 0 {
				checkErrorLines(t, r.stderr)
			}
			emu.srv.ClearFaults()
			if got := vaultVersions(t, emu.env, "contoso-net"); got != tc.versions {
				t.Errorf("%d versions in the vault, want %d", got, tc.versions)
			}
			if tc.code != 0 {
				return
			}
			// A rerun is harmless: nothing more imported.
			again := invoke(t, []string{"keyvault", "import", sitePFX, "--in-password", "env:RELPW", "-o", "json"}, nil, emu.env, nil)
			if again.code != 0 || !strings.Contains(again.stdout, `"status": "already present"`) {
				t.Errorf("rerun: exit %d, %s%s", again.code, again.stdout, again.stderr)
			}
			if got := vaultVersions(t, emu.env, "contoso-net"); got != tc.versions {
				t.Errorf("after the rerun %d versions, want %d", got, tc.versions)
			}
		})
	}
}

func vaultVersions(t *testing.T, env map[string]string, name string) int {
	t.Helper()
	r := invoke(t, []string{"keyvault", "list", "--include-versions", name, "-o", "json"}, nil, env, nil)
	if r.code != 0 {
		t.Fatalf("listing the versions: exit %d: %s", r.code, r.stderr)
	}
	var v []any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("listing the versions: %v", err)
	}
	return len(v)
}
