package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// TestRemediesRunAsPrinted runs every command that check's findings and
// the upload hint print, exactly as printed (split as a POSIX shell splits
// it), in the directory where the user ran check, and checks that each
// succeeds and fixes what it was printed for.
func TestRemediesRunAsPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("makes certificates and runs the emulator")
	}
	fx := reliabilityFixtures(t)
	emu := startRelEmulator(t, fx, nil)
	t.Chdir(t.TempDir())
	env := emu.env
	mustRun := func(args ...string) invocation {
		t.Helper()
		r := invoke(t, args, nil, env, nil)
		if r.code != 0 {
			t.Fatalf("azcert %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r
	}
	// The inputs: an AES .pfx in a file whose name needs quoting, a
	// certificate for other names than the service's, an unencrypted .pfx.
	mustRun("new", "contoso.net", "--name", "my site", "--pfx-profile", "modern", "--password", "env:RELPW", "--pem", "-q")
	if ok, err := haveTool("openssl"); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Skip("openssl is not installed: it makes the unencrypted .pfx")
	}
	if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", "my site.crt.pem", "-inkey", "my site.key.pem",
		"-keypbe", "NONE", "-certpbe", "NONE", "-nomac", "-passout", "pass:", "-out", "open.pfx").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12 -export (unencrypted): %v\n%s", err, out)
	}

	type job struct {
		args    []string                    // the check
		rule    string                      // whose remedy is run
		recheck func(cmd []string) []string // the check of what the remedy made
	}
	jobs := []job{
		{[]string{"check", "my site.pfx", "--for", "service", "--in-password", "env:RELPW"}, "pfx-encryption",
			func([]string) []string {
				return []string{"check", "my site-compat.pfx", "--for", "service", "--in-password", "env:RELPW"}
			}},
		{[]string{"check", "my site.pfx", "--for", "management", "--domain", "www.fabrikam.net", "--in-password", "env:RELPW"}, "names",
			func([]string) []string {
				return []string{"check", "my site-new.pfx", "--for", "service", "--domain", "www.fabrikam.net", "--in-password", "env:RELPW"}
			}},
		{[]string{"check", "open.pfx", "--for", "service"}, "pfx-encryption",
			func([]string) []string { return []string{"check", "open-protected.pfx", "--for", "service"} }},
	}
	for _, j := range jobs {
		r := invoke(t, append(j.args, "-o", "json"), nil, env, nil)
		var rep struct {
			Findings []struct{ ID, Level, Remedy, Command string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", j.args, err, r.stdout)
		}
		var cmd string
		for _, f := range rep.Findings {
			if f.ID == j.rule {
				if f.Level != "FAIL" && f.Level != "WARN" {
					t.Fatalf("%v: %s is %s, want it to fail", j.args, f.ID, f.Level)
				}
				cmd = f.Command
			}
		}
		argv := shellSplit(t, cmd)
		if len(argv) < 2 || argv[0] != "azcert" {
			t.Fatalf("%v: %s remedy command %q is not an azcert command", j.args, j.rule, cmd)
		}
		// The text output prints the same command.
		if txt := invoke(t, j.args, nil, env, nil); !strings.Contains(txt.stdout, cmd) {
			t.Errorf("%v: text output lacks the command %q:\n%s", j.args, cmd, txt.stdout)
		}
		// Run it as printed; a new password comes from the terminal where
		// the command says prompt, so answer it there.
		// Without prompt the command must run with no terminal at all, as in
		// a pipeline.
		edit := func(f *cmdutil.Factory) {}
		if strings.Contains(cmd, "prompt") {
			edit = func(f *cmdutil.Factory) {
				f.IO.InTTY, f.IO.ErrTTY = true, true
				f.IO.ReadPassword = func() ([]byte, error) { return []byte(relPassword), nil }
			}
		}
		res := invoke(t, argv[1:], nil, env, edit)
		if res.code != 0 {
			t.Fatalf("the remedy %q (for %s of %v) failed: exit %d\n%s", cmd, j.rule, j.args, res.code, res.stderr)
		}
		again := invoke(t, append(j.recheck(argv), "-o", "json"), nil, env, func(f *cmdutil.Factory) {
			f.IO.InTTY, f.IO.ErrTTY = true, true
			f.IO.ReadPassword = func() ([]byte, error) { return []byte(relPassword), nil }
		})
		if !strings.Contains(again.stdout, `"id": "`+j.rule+`",`+"\n"+`      "level": "PASS"`) {
			t.Errorf("after %q, %s still does not pass:\n%s", cmd, j.rule, again.stdout)
		}
	}

	// The hint of a service-certificate upload refused for AES.
	r := invoke(t, []string{"upload", "my site.pfx", "--service", "web", "--in-password", "env:RELPW"}, nil, env, nil)
	if r.code != cmdutil.ExitAzure {
		t.Fatalf("upload of an AES .pfx: exit %d, want %d\n%s", r.code, cmdutil.ExitAzure, r.stderr)
	}
	_, hint, ok := strings.Cut(r.stderr, "azcert: hint: re-encrypt it for Cloud Services: ")
	if !ok {
		t.Fatalf("no re-encrypt hint:\n%s", r.stderr)
	}
	hint, _, _ = strings.Cut(hint, "\n")
	argv := shellSplit(t, hint)
	if res := invoke(t, append(argv[1:], "--force"), nil, env, nil); res.code != 0 {
		t.Fatalf("the hint %q failed: exit %d\n%s", hint, res.code, res.stderr)
	}
	mustRun("upload", "my site-compat.pfx", "--service", "web", "--in-password", "env:RELPW")
}

// shellSplit splits a command line the way a POSIX shell does for the
// quoting check.ShellJoin produces (words, '...' and '\”).
func shellSplit(t *testing.T, line string) []string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to check the quoting with")
	}
	out, err := exec.Command("sh", "-c", `set -f; for a in `+line+`; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		t.Fatalf("sh cannot parse %q: %v", line, err)
	}
	s := strings.TrimSuffix(string(out), "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
