package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/export"
)

// testFactory returns a factory with in-memory streams and a fixed clock.
// answers, when non-nil, makes stdin a terminal that answers password
// prompts in order.
func testFactory(t *testing.T, stdin string, answers []string, env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errOut bytes.Buffer
	s := &cmdutil.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut, ColorOff: true}
	if answers != nil {
		s.InTTY, s.ErrTTY = true, true
		s.ReadPassword = func() ([]byte, error) {
			if len(answers) == 0 {
				return nil, errors.New("no more answers")
			}
			a := answers[0]
			answers = answers[1:]
			return []byte(a), nil
		}
	}
	f := &cmdutil.Factory{
		IO:  s,
		Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}
	return f, &out, &errOut
}

func TestPromptOnTerminal(t *testing.T) {
	dir := t.TempDir()
	f, out, errOut := testFactory(t, "", []string{"typed-Pa55", "typed-Pa55"}, nil)
	code := run([]string{"new", "contoso.net", "--out-dir", dir, "-q"}, f)
	if code != 0 {
		t.Fatalf("run(new) = %d, want 0; stderr: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "Password for contoso.net.pfx: ") || !strings.Contains(errOut.String(), "Repeat the password: ") {
		t.Errorf("stderr = %q, want both prompts", errOut)
	}
	if strings.Contains(errOut.String()+out.String(), "typed-Pa55") {
		t.Errorf("the password appeared in the output")
	}
	data, err := os.ReadFile(filepath.Join(dir, "contoso.net.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := export.Load(data, func() (string, error) { return "typed-Pa55", nil }); err != nil {
		t.Errorf("the .pfx does not open with the typed password: %v", err)
	}
	if got := strings.TrimSpace(out.String()); len(got) != 40 {
		t.Errorf("stdout = %q, want a bare thumbprint with -q", got)
	}

	// Reading it back prompts once.
	f2, _, errOut2 := testFactory(t, "", []string{"typed-Pa55"}, nil)
	if code := run([]string{"thumbprint", filepath.Join(dir, "contoso.net.pfx")}, f2); code != 0 {
		t.Fatalf("run(thumbprint) = %d; stderr: %s", code, errOut2)
	}
	if n := strings.Count(errOut2.String(), "Password for"); n != 1 {
		t.Errorf("thumbprint prompted %d times, want 1", n)
	}
}

func TestPromptMismatchWritesNothing(t *testing.T) {
	dir := t.TempDir()
	f, _, errOut := testFactory(t, "", []string{"one", "two"}, nil)
	if code := run([]string{"new", "contoso.net", "--out-dir", dir}, f); code != cmdutil.ExitBadInput {
		t.Fatalf("run = %d, want %d; stderr: %s", code, cmdutil.ExitBadInput, errOut)
	}
	if !strings.Contains(errOut.String(), "azcert: error: the two passwords differ") {
		t.Errorf("stderr = %q", errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files were written: %v", entries)
	}
}

func TestNoPromptWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	f, _, errOut := testFactory(t, "piped-data\n", nil, nil)
	if code := run([]string{"new", "contoso.net", "--out-dir", dir}, f); code != cmdutil.ExitUsage {
		t.Fatalf("run = %d, want %d", code, cmdutil.ExitUsage)
	}
	if strings.Contains(errOut.String(), "Password for") {
		t.Errorf("prompted without a terminal: %q", errOut)
	}
}

func TestPasswordFromFD(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fmt.Fprint(w, "fd-Pa55\nignored\n")
	w.Close()
	f, _, _ := testFactory(t, "", nil, nil)
	p, err := secret.Resolve(f, secret.Request{Flag: "password", Spec: fmt.Sprintf("fd:%d", r.Fd()), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Value != "fd-Pa55" {
		t.Errorf("password from fd = %q, want %q", p.Value, "fd-Pa55")
	}
}

func TestBinaryNotToTerminal(t *testing.T) {
	dir := t.TempDir()
	f, _, errOut := testFactory(t, "", nil, map[string]string{"AZCERT_PASSWORD": "x-Pa55"})
	if code := run([]string{"new", "contoso.net", "--out-dir", dir, "-q"}, f); code != 0 {
		t.Fatalf("new: %d %s", code, errOut)
	}
	f, out, errOut := testFactory(t, "", nil, nil)
	f.IO.OutTTY = true
	code := run([]string{"export", "--cer", filepath.Join(dir, "contoso.net.cer"), "--out", "-"}, f)
	if code != cmdutil.ExitUsage || out.Len() != 0 {
		t.Errorf("export DER to a terminal: code %d, %d bytes written; want %d and none", code, out.Len(), cmdutil.ExitUsage)
	}
	if !strings.Contains(errOut.String(), "refusing to write binary DER to a terminal") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestColorOnlyOnTerminal(t *testing.T) {
	f, _, errOut := testFactory(t, "", nil, nil)
	f.IO.ErrTTY = true
	f.IO.ColorOff = false
	cmdutil.PrintError(f.IO, errors.New("boom"))
	if !strings.Contains(errOut.String(), "\x1b[") {
		t.Errorf("no color on a terminal: %q", errOut)
	}
	f, _, errOut = testFactory(t, "", nil, nil)
	cmdutil.PrintError(f.IO, errors.New("boom"))
	if strings.Contains(errOut.String(), "\x1b[") || errOut.String() != "azcert: error: boom\n" {
		t.Errorf("cmdutil.PrintError without a terminal = %q", errOut)
	}
}

// TestDeleteAsksOnTerminal: on a terminal, delete asks, and only "y" or
// "yes" deletes.
func TestDeleteAsksOnTerminal(t *testing.T) {
	dir := t.TempDir()
	f, _, errOut := testFactory(t, "", nil, map[string]string{"AZCERT_PASSWORD": "del-Pa55"})
	for _, name := range []string{"mgmt", "victim"} {
		if code := run([]string{"new", name, "--for", "management", "--out-dir", dir, "-q"}, f); code != 0 {
			t.Fatalf("new %s: %d %s", name, code, errOut)
		}
	}
	mgmt := readTestCert(t, filepath.Join(dir, "mgmt.cer"))
	victim := readTestCert(t, filepath.Join(dir, "victim.cer"))
	srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{mgmt, victim}})
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"delete", filepath.Join(dir, "victim.cer"), "--endpoint", srv.URL, "--ca-file", ca,
		"--subscription", srv.Subscription, "--auth-cert", filepath.Join(dir, "mgmt.pfx"), "--auth-password", "env:AZCERT_PASSWORD"}
	for _, tt := range []struct {
		answer string
		code   int
		left   int
	}{{"n\n", cmdutil.ExitUsage, 2}, {"\n", cmdutil.ExitUsage, 2}, {"yes\n", cmdutil.ExitOK, 1}} {
		f, out, errOut := testFactory(t, tt.answer, []string{}, map[string]string{"AZCERT_PASSWORD": "del-Pa55"})
		code := run(args, f)
		if code != tt.code {
			t.Errorf("answer %q: exit %d, want %d; stderr %s", tt.answer, code, tt.code, errOut)
		}
		if !strings.Contains(errOut.String(), "Delete management certificate") || !strings.Contains(errOut.String(), "[y/N]") {
			t.Errorf("answer %q: no confirmation question in %q", tt.answer, errOut)
		}
		if n := len(srv.ASM.ManagementCertificates()); n != tt.left {
			t.Errorf("answer %q: %d certificates left, want %d (stdout %q)", tt.answer, n, tt.left, out)
		}
	}
}

func readTestCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Load(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.Cert
}

// TestCscfgSetKeepsEveryOtherByte runs `azcert cscfg set` on the realistic
// fixture (BOM, CRLF, comments, tabs, odd attribute order) and diffs the
// bytes: only the two SSL thumbprints change, and the file keeps its mode.
func TestCscfgSetKeepsEveryOtherByte(t *testing.T) {
	orig, err := os.ReadFile("../../pkg/cscfg/testdata/ServiceConfiguration.Cloud.cscfg")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ServiceConfiguration.Cloud.cscfg")
	if err := os.WriteFile(path, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	const newTP = "AABBCCDDEEFF00112233445566778899AABBCCDD"
	f, out, errOut := testFactory(t, "", nil, nil)
	if code := run([]string{"cscfg", "set", path, "--name", "SSL", "--thumbprint", strings.ToLower(newTP)}, f); code != 0 {
		t.Fatalf("cscfg set: exit %d: %s", code, errOut)
	}
	want := strings.NewReplacer(
		`thumbprint="3A2F0C5E9B1D4A7C8E6F0B2D4C6A8E0F1B3D5C7A"`, `thumbprint="`+newTP+`"`,
		`thumbprint="5d41402abc4b2a76b9719d911017c592ae1b7c1f"`, `thumbprint="`+newTP+`"`,
	).Replace(string(orig))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("the file changed beyond the two SSL thumbprints:\n%s", got)
	}
	if !strings.Contains(string(got), `<Certificate name="SSL" thumbprint="0123456789ABCDEF0123456789ABCDEF01234567"`) {
		t.Error("the commented-out certificate was edited")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %04o, want 0640 kept", st.Mode().Perm())
	}
	if !strings.Contains(out.String(), "WebRole1/SSL  (was 3A2F0C5E9B1D4A7C8E6F0B2D4C6A8E0F1B3D5C7A)") {
		t.Errorf("stdout = %q", out)
	}

	// An undeclared name: exit 3 naming the declared ones, file untouched.
	f, _, errOut = testFactory(t, "", nil, nil)
	if code := run([]string{"cscfg", "set", path, "--name", "Nope", "--thumbprint", newTP}, f); code != cmdutil.ExitBadInput {
		t.Errorf("undeclared name: exit %d, want %d", code, cmdutil.ExitBadInput)
	}
	if !strings.Contains(errOut.String(), "SSL") || strings.Count(errOut.String(), "azcert: error:") != 1 {
		t.Errorf("undeclared name: stderr = %q", errOut)
	}
	if again, _ := os.ReadFile(path); string(again) != want {
		t.Error("a failed set changed the file")
	}
}
