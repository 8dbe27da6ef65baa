package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
)

// makeOptions are MakeOptions for contoso.net in dir, with the password
// in $PW.
func makeOptions(t *testing.T, dir string) MakeOptions {
	t.Helper()
	f, _, _ := testFactory(map[string]string{"PW": "s3cret-Passw0rd"})
	return MakeOptions{Factory: f, Names: []string{"contoso.net", "www.contoso.net"}, Days: 30,
		Purpose: certgen.PurposeService, Profile: export.ProfileCompat, CerFormat: "der",
		OutDir: dir, Password: "env:PW"}
}

func TestMake(t *testing.T) {
	dir := t.TempDir()
	o := makeOptions(t, dir)
	o.PEM = true
	m, err := Make(o)
	if err != nil {
		t.Fatalf("Make() error = %v", err)
	}
	want := map[string]string{
		"pfx": filepath.Join(dir, "contoso.net.pfx"), "cer": filepath.Join(dir, "contoso.net.cer"),
		"certPem": filepath.Join(dir, "contoso.net.crt.pem"), "keyPem": filepath.Join(dir, "contoso.net.key.pem"),
	}
	if len(m.Files) != len(want) {
		t.Errorf("Make().Files = %v, want %v", m.Files, want)
	}
	for k, p := range want {
		if m.Files[k] != p {
			t.Errorf("Make().Files[%q] = %q, want %q", k, m.Files[k], p)
		}
	}
	cer, err := os.ReadFile(want["cer"])
	if err != nil || !bytes.Equal(cer, m.DER) {
		t.Fatalf("the .cer is not the DER of Made (%v)", err)
	}
	cert, err := x509.ParseCertificate(cer)
	if err != nil {
		t.Fatalf("parsing the .cer: %v", err)
	}
	if got, want := cert.Subject.CommonName, "contoso.net"; got != want {
		t.Errorf("subject CN = %q, want %q", got, want)
	}
	if got, want := strings.Join(cert.DNSNames, ","), "contoso.net,www.contoso.net"; got != want {
		t.Errorf("DNS names = %q, want %q", got, want)
	}
	if got, want := cert.NotAfter, fixedNow.Add(30*24*time.Hour); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
	pfx, err := os.ReadFile(want["pfx"])
	if err != nil || !bytes.Equal(pfx, m.PFX) {
		t.Fatalf("the .pfx is not the PFX of Made (%v)", err)
	}
	b, err := export.Load(pfx, func() (string, error) { return "s3cret-Passw0rd", nil })
	if err != nil || b.Key == nil || !bytes.Equal(b.Cert.Raw, m.DER) {
		t.Fatalf("the .pfx does not load back with its key and certificate (%v)", err)
	}
	if m.Password.Value != "s3cret-Passw0rd" || m.Password.Generated {
		t.Errorf("Make().Password = %+v, want the value of $PW, not generated", m.Password)
	}
	for k, mode := range map[string]os.FileMode{"pfx": export.ModeSecret, "cer": export.ModePublic, "certPem": export.ModePublic, "keyPem": export.ModeSecret} {
		if st, err := os.Stat(want[k]); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", k, st.Mode().Perm(), err, mode)
		}
	}
}

func TestMakeCerPEMAndGeneratedPassword(t *testing.T) {
	dir := t.TempDir()
	o := makeOptions(t, dir)
	o.CerFormat, o.Password, o.Name = "pem", "generate", "site"
	m, err := Make(o)
	if err != nil {
		t.Fatalf("Make() error = %v", err)
	}
	cer, _ := os.ReadFile(filepath.Join(dir, "site.cer"))
	if blk, _ := pem.Decode(cer); blk == nil || !bytes.Equal(blk.Bytes, m.DER) {
		t.Errorf("site.cer is not the certificate in PEM: %q", cer)
	}
	pw, err := os.ReadFile(filepath.Join(dir, "site.pfx.password"))
	if err != nil || !m.Password.Generated || string(pw) != m.Password.Value+"\n" {
		t.Errorf("site.pfx.password = %q (%v), want the generated password %+v and a newline", pw, err, m.Password)
	}
	if got, want := m.Files["password"], filepath.Join(dir, "site.pfx.password"); got != want {
		t.Errorf("Make().Files[password] = %q, want %q", got, want)
	}
}

func TestPlanMakeRefuses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*MakeOptions)
		want   string
		usage  bool
	}{
		{"cer format", func(o *MakeOptions) { o.CerFormat = "crt" }, `--cer-format "crt": want der or pem`, true},
		{"no days", func(o *MakeOptions) { o.Days = 0 }, "--days 0: the certificate must be valid for at least one day", false},
		{"over 100 years", func(o *MakeOptions) { o.Days = 100*365 + 1 }, "--days 36501: more than 100 years", false},
		{"not a date", func(o *MakeOptions) { o.NotAfter = "soon" }, `--not-after: "soon" is not a date`, true},
		{"name with a directory", func(o *MakeOptions) { o.Name = "a/b" }, `--name "a/b": give a file name without a directory`, false},
		{"name flag", func(o *MakeOptions) { o.Name, o.NameFlag = "..", "file-name" }, `--file-name "..": give a file name`, false},
		{"key size", func(o *MakeOptions) { o.KeySize = 1024 }, "1024", false},
		{"azure domain", func(o *MakeOptions) { o.Names = []string{"x.cloudapp.net"} }, "cloudapp.net", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := makeOptions(t, dir)
			tt.change(&o)
			p, err := PlanMake(o)
			var u *cmdutil.UsageError
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &u) != tt.usage {
				t.Fatalf("PlanMake() = %v, %v; want an error with %q (usage error: %v)", p, err, tt.want, tt.usage)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("PlanMake() wrote %d files; want none", len(ents))
			}
		})
	}
}

func TestPlanMakeAccepts(t *testing.T) {
	for _, tt := range []struct {
		name         string
		change       func(*MakeOptions)
		wantNotAfter time.Time
		wantPfx      string
	}{
		{"100 years", func(o *MakeOptions) { o.Days = 100 * 365 }, fixedNow.Add(100 * 365 * 24 * time.Hour), "contoso.net.pfx"},
		{"not-after date", func(o *MakeOptions) { o.NotAfter = "2027-06-30" }, time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC), "contoso.net.pfx"},
		{"wildcard", func(o *MakeOptions) { o.Names = []string{"*.contoso.net"} }, fixedNow.Add(30 * 24 * time.Hour), "_wildcard.contoso.net.pfx"},
		{"IPv6", func(o *MakeOptions) { o.Names = []string{"2001:db8::1"}; o.Purpose = certgen.PurposeServer }, fixedNow.Add(30 * 24 * time.Hour), "2001-db8--1.pfx"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := makeOptions(t, dir)
			tt.change(&o)
			p, err := PlanMake(o)
			if err != nil {
				t.Fatalf("PlanMake() error = %v", err)
			}
			if !p.Request.NotAfter.Equal(tt.wantNotAfter) || !p.Request.Now.Equal(fixedNow) {
				t.Errorf("PlanMake().Request Now, NotAfter = %v, %v; want %v, %v", p.Request.Now, p.Request.NotAfter, fixedNow, tt.wantNotAfter)
			}
			if got, want := p.Files["pfx"], filepath.Join(dir, tt.wantPfx); got != want {
				t.Errorf("PlanMake().Files[pfx] = %q, want %q", got, want)
			}
		})
	}
}

// An existing file is refused before the password is asked for: here no
// password could be had (no flag, no variable, no terminal), so the error
// shows which came first.
func TestMakeChecksFilesBeforePassword(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "contoso.net.cer"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := makeOptions(t, dir)
	o.Password = ""
	_, err := Make(o)
	var exists *export.ExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("Make() error = %v; want *export.ExistsError", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("Make() left %d files; want only the existing one", len(ents))
	}
}
