package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// FuzzConfigFile runs a command with an arbitrary --config file (YAML, JSON
// or TOML by its extension) and checks that azcert never panics, exits 0 or
// 2 (a config file it cannot use is a usage error naming the file), prints
// one error line (and a hint) at most.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []struct {
		ext  uint8
		data string
	}{
		{0, "output: json\nno-color: true\n"},
		{0, "style: validate\nstatus: 403\nfragment: true\n"},
		{0, "thumbprint:\n  - AABBCCDDEEFF00112233445566778899AABBCCDD\n  - x\n"},
		{0, "in-password: pass:from-config\noutput: [json\n"},
		{0, "a: &a [*a, *a]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"},
		{0, "status: 99999999999999999999\n"},
		{0, "\t- x\n"},
		{1, `{"output":"json","style":"choose","status":401}`},
		{1, `{"output":`},
		{2, "output = \"json\"\nstatus = 451\n"},
		{2, "[[x]]\ny = 1\n[[x]]\n"},
		{3, "output: text\n"},
	} {
		f.Add(s.ext, []byte(s.data))
	}
	dir := f.TempDir()
	exts := []string{".yaml", ".json", ".toml", ""}
	const tp = "AABBCCDDEEFF00112233445566778899AABBCCDD"
	f.Fuzz(func(t *testing.T, ext uint8, data []byte) {
		path := filepath.Join(dir, "config"+exts[int(ext)%len(exts)])
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		fac := &cmdutil.Factory{
			IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ColorOff: true},
			Now:       func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
			LookupEnv: func(string) (string, bool) { return "", false },
		}
		code := run([]string{"policy", "apim", "--thumbprint", tp, "--config", path}, fac)
		switch code {
		case cmdutil.ExitOK:
			if !strings.Contains(out.String(), tp) {
				t.Fatalf("exit 0 without the policy on stdout: %q", out.String())
			}
		case cmdutil.ExitUsage:
			lines := strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n")
			if !strings.HasPrefix(lines[0], "azcert: error: ") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "azcert: hint: ")) {
				t.Fatalf("stderr is not one error line (and a hint):\n%s", errOut.String())
			}
		default:
			t.Fatalf("exit %d with config %q; stderr %s", code, data, errOut.String())
		}
	})
}
