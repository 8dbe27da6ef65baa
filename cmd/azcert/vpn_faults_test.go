package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/network"
)

// vpnEmulator is an emulator with the VPN gateway rg-net/vpngw, a root
// certificate authority made by azcert new --ca in dir, and the
// environment that points azcert at both.
func vpnEmulator(t *testing.T) (srv *azure.Emulator, env map[string]string, root string) {
	t.Helper()
	srv = emulatortest.NewServer(t, azure.Config{VPNGateways: []string{"rg-net/vpngw"}})
	dir := t.TempDir()
	ca := filepath.Join(dir, "emulator-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	env = map[string]string{
		"AZCERT_ARM_ENDPOINT": srv.URL, "AZCERT_CA_FILE": ca, "AZCERT_SUBSCRIPTION": srv.Subscription,
		"AZCERT_ACCESS_TOKEN": srv.Network.Token(), "AZCERT_GATEWAY": "rg-net/vpngw", "RELPW": relPassword,
	}
	if r := invoke(t, []string{"new", "--ca", "Fault Root", "--name", "root", "--out-dir", dir, "--password", "env:RELPW", "-q"}, nil, env, nil); r.code != 0 {
		t.Fatalf("new --ca: exit %d: %s", r.code, r.stderr)
	}
	return srv, env, filepath.Join(dir, "root.cer")
}

// racingWriter is a transport that, before each of the first n PUTs of
// the gateway, changes the gateway in the emulator as another writer would
// (a revoked certificate added behind azcert's back), so that the PUT,
// whose If-Match is the etag azcert read, meets 412.
func racingWriter(srv *azure.Emulator, n int32, puts *atomic.Int32) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		prev := f.NetworkOptions
		f.NetworkOptions = func(o *network.Options) {
			if prev != nil {
				prev(o)
			}
			hc := o.Transport.(*http.Client)
			next := hc.Transport
			var left atomic.Int32
			left.Store(n)
			o.Transport = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodPut {
					puts.Add(1)
					if left.Add(-1) >= 0 {
						i := puts.Load()
						err := srv.Network.Update("rg-net", "vpngw", func(doc map[string]any) error {
							cfg := doc["properties"].(map[string]any)["vpnClientConfiguration"].(map[string]any)
							rev, _ := cfg["vpnClientRevokedCertificates"].([]any)
							cfg["vpnClientRevokedCertificates"] = append(rev, map[string]any{"name": fmt.Sprintf("other-%d", i),
								"properties": map[string]any{"thumbprint": fmt.Sprintf("%040X", i)}})
							return nil
						})
						if err != nil {
							return nil, err
						}
					}
				}
				return next.RoundTrip(r)
			})}
		}
	}
}

// TestVPNConcurrentChange: a gateway changed by someone else between
// azcert's read and its write answers 412; azcert reads again and writes
// its change on top, so neither change is lost and the root is there once.
// Changed at every try, the command gives up with exit 5 and a hint, and
// has added nothing.
func TestVPNConcurrentChange(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against the emulator")
	}
	t.Run("one concurrent change", func(t *testing.T) {
		srv, env, root := vpnEmulator(t)
		var puts atomic.Int32
		r := invoke(t, []string{"vpn", "root", "add", root, "-o", "json"}, nil, env, racingWriter(srv, 1, &puts))
		if r.code != 0 || r.panicked != nil || r.timedOut {
			t.Fatalf("exit %d (panicked %v, timed out %v)\n%s", r.code, r.panicked, r.timedOut, r.stderr)
		}
		var out struct {
			Status    string
			Conflicts int
			Roots     int
			Revoked   int
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if out.Status != "added" || out.Conflicts != 1 || out.Roots != 1 || out.Revoked != 1 || puts.Load() != 2 {
			t.Errorf("got %+v after %d PUTs, want added after 1 conflict, 1 root, 1 revoked, 2 PUTs", out, puts.Load())
		}
		if got := srv.Network.Roots("rg-net", "vpngw"); len(got) != 1 || got[0] != "Fault-Root" {
			t.Errorf("roots %v, want [Fault-Root]", got)
		}
		if got := srv.Network.Revoked("rg-net", "vpngw"); len(got) != 1 {
			t.Errorf("revoked %v: the concurrent change was lost", got)
		}
		// A rerun adds nothing.
		again := invoke(t, []string{"vpn", "root", "add", root}, nil, env, nil)
		if again.code != 0 || !strings.Contains(again.stdout, "already present") || len(srv.Network.Roots("rg-net", "vpngw")) != 1 {
			t.Errorf("rerun: exit %d, %s%s", again.code, again.stdout, again.stderr)
		}
	})
	t.Run("changed at every try", func(t *testing.T) {
		srv, env, root := vpnEmulator(t)
		var puts atomic.Int32
		r := invoke(t, []string{"vpn", "root", "add", root}, nil, env, racingWriter(srv, 100, &puts))
		if r.code != cmdutil.ExitAzure || r.panicked != nil || r.timedOut {
			t.Fatalf("exit %d, want 5 (panicked %v, timed out %v)\n%s", r.code, r.panicked, r.timedOut, r.stderr)
		}
		checkErrorLines(t, r.stderr)
		if !strings.Contains(r.stderr, "412") || !strings.Contains(r.stderr, "azcert: hint: someone else kept changing the gateway") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		if want := int32(network.DefaultMaxConflicts + 1); puts.Load() != want {
			t.Errorf("%d PUTs, want %d", puts.Load(), want)
		}
		if got := srv.Network.Roots("rg-net", "vpngw"); len(got) != 0 {
			t.Errorf("roots %v, want none", got)
		}
		if got := srv.Network.Revoked("rg-net", "vpngw"); len(got) != network.DefaultMaxConflicts+1 {
			t.Errorf("revoked %v: a concurrent change was lost", got)
		}
	})
	t.Run("the answer to the PUT lost", func(t *testing.T) {
		srv, env, root := vpnEmulator(t)
		lose := func(f *cmdutil.Factory) {
			prev := f.NetworkOptions
			f.NetworkOptions = func(o *network.Options) {
				if prev != nil {
					prev(o)
				}
				l := &loseAnswers{next: o.Transport.(*http.Client).Transport, match: func(r *http.Request) bool { return r.Method == http.MethodPut }}
				l.n.Store(1)
				o.Transport = &http.Client{Transport: l}
			}
		}
		r := invoke(t, []string{"vpn", "root", "add", root, "--retries", "0"}, nil, env, lose)
		if r.code != 0 || !strings.Contains(r.stdout, " added ") {
			t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if got := srv.Network.Roots("rg-net", "vpngw"); len(got) != 1 {
			t.Errorf("roots %v, want one", got)
		}
	})
}

// TestVPNRootRemoveAsksOnTerminal: on a terminal, removing a root asks,
// and only a yes removes it; a root that is not there is not asked about.
func TestVPNRootRemoveAsksOnTerminal(t *testing.T) {
	srv, env, root := vpnEmulator(t)
	if r := invoke(t, []string{"vpn", "root", "add", root}, nil, env, nil); r.code != 0 {
		t.Fatalf("root add: exit %d: %s", r.code, r.stderr)
	}
	tty := func(f *cmdutil.Factory) { f.IO.InTTY, f.IO.ErrTTY = true, true }
	for _, tt := range []struct {
		answer string
		code   int
		left   int
	}{{"n\n", cmdutil.ExitUsage, 1}, {"\n", cmdutil.ExitUsage, 1}, {"yes\n", cmdutil.ExitOK, 0}} {
		r := invoke(t, []string{"vpn", "root", "remove", "Fault-Root"}, strings.NewReader(tt.answer), env, tty)
		if r.code != tt.code {
			t.Errorf("answer %q: exit %d, want %d; stderr %s", tt.answer, r.code, tt.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "Remove root certificate Fault-Root (") || !strings.Contains(r.stderr, "[y/N]") {
			t.Errorf("answer %q: no confirmation question in %q", tt.answer, r.stderr)
		}
		if n := len(srv.Network.Roots("rg-net", "vpngw")); n != tt.left {
			t.Errorf("answer %q: %d roots left, want %d (stdout %q)", tt.answer, n, tt.left, r.stdout)
		}
	}
	r := invoke(t, []string{"vpn", "root", "remove", "Fault-Root"}, strings.NewReader(""), env, tty)
	if r.code != 0 || strings.Contains(r.stderr, "[y/N]") || !strings.Contains(r.stdout, "not present") {
		t.Errorf("not present: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
