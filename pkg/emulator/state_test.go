package emulator_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

func TestStateRoundTrip(t *testing.T) {
	f := emutest.Certs(t)
	path := filepath.Join(t.TempDir(), "state.json")
	clk := emutest.NewClock()
	srv := emutest.StartServer(t, azure.Config{StatePath: path, Subscription: "my-sub", Trust: []*x509.Certificate{f.Admin.Cert}, Services: []string{"web"}, Now: clk.Now})
	if _, err := os.Stat(path); err != nil {
		t.Errorf("after Start, the state file: %v", err)
	}
	c := emutest.Client(t, srv, f.Admin)
	clk.Advance(time.Hour)
	emutest.WantStatus(t, "POST management", emutest.Call(t, c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[0])), emutest.Version), http.StatusCreated)
	id := emutest.AddService(t, c, srv, "web", mgmtclient.CertificateFile{Data: emutest.B64(f.Site.DER), Format: "cer"})
	emutest.Poll(t, c, srv, id)
	emutest.Poll(t, c, srv, id)
	before := emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version).Body
	// Every change is saved at once, before Close.
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(saved, []byte(emutest.Thumb(f.Site.DER))) || !bytes.Contains(saved, []byte(emutest.Thumb(f.Certs[0].DER))) {
		t.Errorf("the state file lacks a certificate before Close:\n%s", saved)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %04o, want 0600", st.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	// Restart with no Trust, no Services and no Subscription: all come
	// from the state file.
	srv2 := emutest.StartServer(t, azure.Config{StatePath: path, Now: clk.Now})
	defer srv2.Close()
	if srv2.Subscription != "my-sub" {
		t.Errorf("Subscription after restart = %q, want my-sub", srv2.Subscription)
	}
	if got, want := srv2.ASM.ManagementCertificates(), emutest.Sorted(emutest.Thumb(f.Admin.DER), emutest.Thumb(f.Certs[0].DER)); !slices.Equal(got, want) {
		t.Errorf("ManagementCertificates after restart = %v, want %v", got, want)
	}
	if got := srv2.ASM.ServiceCertificates("web"); !slices.Equal(got, []string{emutest.Thumb(f.Site.DER)}) {
		t.Errorf("ServiceCertificates(web) after restart = %v, want the site certificate", got)
	}
	after := emutest.Call(t, emutest.Client(t, srv2, f.Admin), http.MethodGet, emutest.CertsURL(srv2), nil, emutest.Version).Body
	if !bytes.Equal(before, after) {
		t.Errorf("list after restart =\n%s\nwant (Created kept)\n%s", after, before)
	}
}

func TestStateMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.json")
	srv := emutest.StartServer(t, azure.Config{StatePath: path})
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the state file was not created: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil || v["subscription"] != emulator.DefaultSubscription {
		t.Errorf("state file = %s (%v), want JSON with the default subscription", data, err)
	}
}

func TestStateErrors(t *testing.T) {
	f := emutest.Certs(t)
	valid := func(edit func(m map[string]any)) string {
		m := map[string]any{
			"version":      1,
			"subscription": emulator.DefaultSubscription,
			"managementCertificates": []any{
				map[string]any{"thumbprint": emutest.Thumb(f.Admin.DER), "data": emutest.B64(f.Admin.DER), "created": emutest.FixedNow},
			},
			"services": []any{map[string]any{"name": "web", "certificates": []any{}}},
		}
		if edit != nil {
			edit(m)
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	mgmt := func(c map[string]any) func(m map[string]any) {
		return func(m map[string]any) { m["managementCertificates"] = []any{c} }
	}
	tests := []struct {
		name, content, subscription, reason string
	}{
		{name: "not JSON", content: "hello", reason: "not a valid emulator state"},
		{name: "empty", content: "", reason: "not a valid emulator state"},
		{name: "truncated", content: valid(nil)[:40], reason: "not a valid emulator state"},
		{name: "trailing data", content: valid(nil) + "{}", reason: "data after"},
		{name: "unknown field", content: valid(func(m map[string]any) { m["extra"] = 1 }), reason: "not a valid emulator state"},
		{name: "no version", content: valid(func(m map[string]any) { delete(m, "version") }), reason: "version 0"},
		{name: "future version", content: valid(func(m map[string]any) { m["version"] = 2 }), reason: "version 2"},
		{name: "no subscription", content: valid(func(m map[string]any) { m["subscription"] = "" }), reason: "subscription"},
		{name: "certificate data", content: valid(mgmt(map[string]any{"thumbprint": "AA", "data": emutest.B64([]byte("junk"))})), reason: "management certificate 1"},
		{name: "thumbprint mismatch", content: valid(mgmt(map[string]any{"thumbprint": emutest.Thumb(f.Certs[0].DER), "data": emutest.B64(f.Admin.DER)})), reason: "does not match"},
		{name: "ECDSA management certificate", content: valid(mgmt(map[string]any{"thumbprint": emutest.Thumb(f.ECCert.Raw), "data": emutest.B64(f.ECCert.Raw)})), reason: "not RSA"},
		{name: "duplicate service", content: valid(func(m map[string]any) {
			m["services"] = []any{map[string]any{"name": "web"}, map[string]any{"name": "WEB"}}
		}), reason: "listed twice"},
		{name: "bad service certificate", content: valid(func(m map[string]any) {
			m["services"] = []any{map[string]any{"name": "web", "certificates": []any{map[string]any{"thumbprint": "x", "data": "AAAA"}}}}
		}), reason: "hosted service web"},
		{name: "another subscription", content: valid(nil), subscription: "other-sub", reason: "holds subscription " + emulator.DefaultSubscription},
		{name: "a directory", reason: "cannot read it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if tt.name == "a directory" {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(path)
			srv, err := azure.New(azure.Config{StatePath: path, Subscription: tt.subscription, Trust: []*x509.Certificate{f.Certs[1].Cert}})
			var se *emulator.StateError
			if !errors.As(err, &se) {
				if srv != nil {
					srv.Close()
				}
				t.Fatalf("azure.New(%s) error = %v, want a *StateError", tt.name, err)
			}
			if se.Path != path || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %q (path %q), want the path and %q", err, se.Path, tt.reason)
			}
			after, _ := os.Stat(path)
			if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() || after.IsDir() != before.IsDir() {
				t.Errorf("the state file changed")
			}
			if !before.IsDir() {
				if data, _ := os.ReadFile(path); string(data) != tt.content {
					t.Errorf("the state file now holds %q, want it unchanged", data)
				}
			}
		})
	}
	// The valid base file loads, so the cases above fail for their reason.
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(valid(nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := azure.New(azure.Config{StatePath: path}); err != nil {
		t.Errorf("azure.New(valid state) = %v", err)
	}
}

func TestCloseIsGraceful(t *testing.T) {
	f := emutest.Certs(t)
	l := newLogs()
	path := filepath.Join(t.TempDir(), "state.json")
	srv := emutest.StartServer(t, azure.Config{Trust: []*x509.Certificate{f.Admin.Cert}, StatePath: path, Logf: l.Logf})
	c := emutest.Client(t, srv, f.Admin)
	// A request held in flight by a long delay fault.
	srv.Inject(emulator.Fault{Kind: emulator.FaultDelay, Delay: time.Hour})
	done := make(chan emutest.Response, 1)
	go func() {
		r, err := emutest.Send(context.Background(), c, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[0])), emutest.Version)
		if err != nil {
			t.Errorf("the request in flight failed: %v", err)
			r = &emutest.Response{}
		}
		done <- *r
	}()
	l.wait(t, "fault delay: holding")
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The request in flight was answered, not dropped: closing ended its
	// delay and it completed.
	emutest.WantStatus(t, "the request in flight", <-done, http.StatusCreated)
	l.wait(t, "server closing")
	// Its effect was saved.
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte(emutest.Thumb(f.Certs[0].DER))) {
		t.Errorf("state after Close = %s, %v; want the certificate added in flight", data, err)
	}
	// No new connections.
	if _, err := emutest.Send(context.Background(), emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version); err == nil {
		t.Error("a request after Close succeeded")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := srv.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestShutdownWithEndedContext(t *testing.T) {
	f := emutest.Certs(t)
	path := filepath.Join(t.TempDir(), "state.json")
	srv := emutest.StartServer(t, azure.Config{Trust: []*x509.Certificate{f.Admin.Cert}, StatePath: path})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown(ended context) = %v, want nil or context.Canceled", err)
	}
	if _, err := emutest.Send(context.Background(), emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version); err == nil {
		t.Error("a request after Shutdown succeeded")
	}
	if data, err := os.ReadFile(path); err != nil || !bytes.Contains(data, []byte(emutest.Thumb(f.Admin.DER))) {
		t.Errorf("state after Shutdown = %s, %v; want it saved", data, err)
	}
}

// TestStateMembersMatchLikeStructFields: the state file is read member by
// member, each service its own, but as encoding/json read it into one
// struct before: member names match without regard to case, the last of
// repeated members wins, and a type error names the member.
func TestStateMembersMatchLikeStructFields(t *testing.T) {
	sub := `"subscription": "` + emulator.DefaultSubscription + `"`
	tests := []struct {
		name, content, err string
	}{
		{name: "names in another case", content: `{"Version": 1, "SUBSCRIPTION": "` + emulator.DefaultSubscription + `", "ManagementCertificates": [], "apimservices": []}`},
		{name: "repeated member", content: `{"version": 2, ` + sub + `, "version": 1}`},
		{name: "repeated member, last wins", content: `{"version": 1, ` + sub + `, "version": 2}`, err: "format version 2"},
		{name: "type of a member", content: `{"version": "1", ` + sub + `}`, err: "Go struct field stateFile.version of type int"},
		{name: "type within a member", content: `{"version": 1, ` + sub + `, "services": [{"name": 7}]}`, err: "Go struct field stateService.services.name of type string"},
		{name: "unknown member", content: `{"version": 1, ` + sub + `, "keyVaults": []}`, err: `unknown field "keyVaults"`},
		{name: "not an object", content: `[]`, err: "cannot unmarshal array"},
		{name: "null", content: `null`, err: "format version 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := azure.New(azure.Config{StatePath: path})
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("azure.New(%s) = %v, want it to load", tt.content, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("azure.New(%s) = %v, want an error containing %q", tt.content, err, tt.err)
			}
		})
	}
}
