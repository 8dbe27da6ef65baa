package main

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/export"
)

// manyInputs writes n certificate files of mixed kinds (DER, PEM, a .pfx
// every tenth, protected by "many-Pa55") and returns their paths and the
// thumbprints azcert must print for them, computed here with crypto/sha1.
func manyInputs(t *testing.T, n int) (paths, thumbs []string) {
	t.Helper()
	dir := t.TempDir()
	rk, ek := benchKeyPair()
	ders := issueCerts(t, n)
	for i, der := range ders {
		path := filepath.Join(dir, fmt.Sprintf("in%03d", i))
		data := der
		switch {
		case i%10 == 9:
			// A .pfx needs the key of its certificate: a self-signed one.
			res := selfSigned(t, rk, fmt.Sprintf("pfx%03d.example", i))
			der = res.Raw
			pfx, err := export.EncodePFX(rk, res, nil, export.PFXOptions{Password: "many-Pa55"})
			if err != nil {
				t.Fatal(err)
			}
			path, data = path+".pfx", pfx
		case i%10 == 4:
			// An ECDSA key: not for the quick path, parsed in full.
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i)), Subject: pkix.Name{CommonName: fmt.Sprintf("ec%03d", i)}}
			ec, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ek.PublicKey, ek)
			if err != nil {
				t.Fatal(err)
			}
			der, data = ec, ec
			path += ".cer"
		case i%3 == 1:
			path, data = path+".pem", pemCert(der)
		default:
			path += ".cer"
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		thumbs = append(thumbs, export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure))
	}
	return paths, thumbs
}

// TestThumbprintManyInOrder: many inputs of every kind, read ahead
// concurrently, come out in argument order, with the --debug notes in
// argument order too, and "-" read where it stands.
func TestThumbprintManyInOrder(t *testing.T) {
	paths, thumbs := manyInputs(t, 60)
	stdinData, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	// "-" in the middle stands for a copy of the first file.
	args := append([]string{"thumbprint", "--debug", "--in-password", "env:PFX_PW"}, paths[:30]...)
	args = append(args, "-")
	args = append(args, paths[30:]...)
	names := append(append(append([]string{}, paths[:30]...), "-"), paths[30:]...)
	want := append(append(append([]string{}, thumbs[:30]...), thumbs[0]), thumbs[30:]...)

	f, out, errOut := testFactory(t, string(stdinData), nil, map[string]string{"PFX_PW": "many-Pa55"})
	if code := run(args, f); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(names), out)
	}
	for i, line := range lines {
		if w := want[i] + "  " + names[i]; line != w {
			t.Errorf("line %d = %q, want %q", i+1, line, w)
		}
	}
	var notes []string
	for _, line := range strings.Split(errOut.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "azcert: debug: "); ok && strings.Contains(rest, ": read as ") {
			notes = append(notes, rest[:strings.Index(rest, ": read as ")])
		}
	}
	wantNotes := append(append(append([]string{}, paths[:30]...), "standard input"), paths[30:]...)
	if strings.Join(notes, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("--debug notes not in argument order:\n%s", strings.Join(notes, "\n"))
	}

	// JSON carries the subjects, still in order.
	f, out, errOut = testFactory(t, "", nil, map[string]string{"PFX_PW": "many-Pa55"})
	if code := run(append([]string{"thumbprint", "-o", "json", "--in-password", "env:PFX_PW"}, paths...), f); code != 0 {
		t.Fatalf("-o json: exit %d: %s", code, errOut)
	}
	if n := strings.Count(out.String(), `"subject": "CN=`); n != len(paths) {
		t.Errorf("-o json: %d subjects, want %d", n, len(paths))
	}
	if i, j := strings.Index(out.String(), thumbs[5]), strings.Index(out.String(), thumbs[50]); i < 0 || j < i {
		t.Errorf("-o json: results out of order")
	}
}

// TestThumbprintManyFirstErrorWins: whatever finishes first, the error is
// the one of the first failing input in argument order, and nothing is
// printed on stdout. A protected .pfx before the failing input is opened
// first (asking for its password in turn).
func TestThumbprintManyFirstErrorWins(t *testing.T) {
	paths, _ := manyInputs(t, 40)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.cer")
	damaged := filepath.Join(dir, "damaged.cer")
	if err := os.WriteFile(damaged, issueCerts(t, 1)[0][:300], 0o644); err != nil { // truncated
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.cer")
	fh, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(export.MaxInputSize + 1); err != nil { // sparse: nothing written
		t.Fatal(err)
	}
	fh.Close()

	for _, tt := range []struct {
		name   string
		inputs []string
		code   int
		msg    string
	}{
		{"missing before damaged", append(append(append([]string{}, paths[:20]...), missing), append([]string{damaged}, paths[20:]...)...),
			cmdutil.ExitBadInput, missing + ": no such file"},
		{"damaged before missing", append(append(append([]string{}, paths[:3]...), damaged), append(paths[3:], missing)...),
			cmdutil.ExitBadInput, damaged + ": the input looks like a DER certificate but does not parse"},
		{"oversized refused unread", append([]string{huge}, paths...),
			cmdutil.ExitBadInput, fmt.Sprintf("%s is %d bytes, larger than any certificate or .pfx", huge, export.MaxInputSize+1)},
		{"last one", append(append([]string{}, paths...), missing), cmdutil.ExitBadInput, missing + ": no such file"},
		{"a directory", append([]string{paths[0], dir}, paths[1:]...), cmdutil.ExitBadInput, dir + " is a directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(t, "", nil, map[string]string{"PFX_PW": "many-Pa55"})
			code := run(append([]string{"thumbprint", "--in-password", "env:PFX_PW"}, tt.inputs...), f)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			if !strings.HasPrefix(errOut.String(), "azcert: error: "+tt.msg) {
				t.Errorf("stderr = %q, want the error %q", errOut, tt.msg)
			}
			if strings.Count(errOut.String(), "azcert: error:") != 1 {
				t.Errorf("more than one error: %q", errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}

	// A .pfx whose password is asked for on the terminal is asked for in
	// argument order, before the error of a later input.
	f, out, errOut := testFactory(t, "", []string{"many-Pa55", "many-Pa55"}, nil)
	code := run([]string{"thumbprint", "--in-password", "prompt", paths[0], paths[9], paths[19], missing, paths[29]}, f)
	if code != cmdutil.ExitBadInput || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q; want %d and nothing", code, out, cmdutil.ExitBadInput)
	}
	prompts := strings.Count(errOut.String(), "Password for")
	if i, j := strings.Index(errOut.String(), paths[9]), strings.Index(errOut.String(), paths[19]); prompts != 2 || i < 0 || j < i {
		t.Errorf("want two prompts, for %s then %s, before the error; stderr:\n%s", paths[9], paths[19], errOut)
	}
	if !strings.Contains(errOut.String(), missing+": no such file") || strings.Contains(errOut.String(), paths[29]) {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// TestReadBounded: one allocation for a file whose size is known, the whole
// file if it grew, at most MaxInputSize+1 bytes.
