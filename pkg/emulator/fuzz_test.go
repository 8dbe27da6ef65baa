package emulator_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
)

// FuzzLoadState starts emulators on arbitrary state files and checks that
// a file it cannot use is refused with a *StateError and left exactly as it
// was (the emulator never overwrites a corrupt state).
func FuzzLoadState(f *testing.F) {
	fx := emutest.Certs(f)
	dir := f.TempDir()
	good := filepath.Join(dir, "good.json")
	srv, err := azure.New(azure.Config{
		StatePath: good, Trust: []*x509.Certificate{fx.Admin.Cert, fx.Certs[0].Cert}, Services: []string{"web", "api"},
		APIMServices: []string{emutest.APIMRG + "/" + emutest.APIMName},
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		f.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(valid),
		string(valid[:len(valid)/2]),
		strings.Replace(string(valid), `"version": 1`, `"version": 2`, 1),
		strings.Replace(string(valid), `"web"`, `"api"`, 1),
		`{"version":1,"subscription":"8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36","managementCertificates":[{"thumbprint":"00","data":"MAA="}]}`,
		`{"version":1,"subscription":"a/b"}`,
		`{"version":1,"subscription":"x","unknown":true}`,
		`{"version":1,"subscription":"x"} {}`,
		strings.Repeat("[", 10000),
		"null",
		"",
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(dir, "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		srv, err := azure.New(azure.Config{StatePath: path})
		if err == nil {
			srv.Close()
			return
		}
		var se *emulator.StateError
		if !errors.As(err, &se) {
			t.Fatalf("azure.New on a bad state file: %T %v, want *StateError", err, err)
		}
		if se.Path != path || !strings.Contains(err.Error(), path) {
			t.Fatalf("StateError %q does not name the file", err)
		}
		after, rerr := os.ReadFile(path)
		if rerr != nil || !bytes.Equal(after, data) {
			t.Fatalf("a refused state file changed (%v)", rerr)
		}
		if strings.Count(err.Error(), "\n") > 0 && len(err.Error()) > 4096 {
			t.Fatalf("StateError is %d bytes over several lines", len(err.Error()))
		}
	})
}

// FuzzParseFault checks the --fault syntax: ParseFault never panics, and
// what it accepts it writes back (Fault.String) in a form it reads to the
// same fault.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"throttle", "throttle:3", "internal:2", "reset:1", "delay:3s", "delay:250ms:4",
		"redirect", "redirect:2", "redirect:1:https://127.0.0.1:1/x?y=z", "delay:-1s", "throttle:0", "x:1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := emulator.ParseFault(s)
		if err != nil {
			if ft != (emulator.Fault{}) {
				t.Fatalf("ParseFault(%q) = %+v with the error %v", s, ft, err)
			}
			return
		}
		if ft.Count < 1 {
			t.Fatalf("ParseFault(%q).Count = %d", s, ft.Count)
		}
		again, err := emulator.ParseFault(ft.String())
		if err != nil || again != ft {
			t.Fatalf("ParseFault(%q) = %+v; ParseFault(%q) = %+v, %v", s, ft, ft.String(), again, err)
		}
	})
}
