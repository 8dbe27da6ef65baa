package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	"github.com/azcert/azcert/pkg/entra"
)

// TestNoSecretInOutput runs every command that reads a password, a key or a
// token, with --debug (the HTTP trace) and with -o json, against the
// emulator where it talks to Azure, and checks that no output (stdout,
// stderr, the trace) contains the recognisable password, a run of the
// base64 of either private key, the ARM token, or a password azcert
// generated; and that no request body the emulator received carries a
// private key, or the password except where Azure requires it (the .pfx
// password of a service-certificate upload).
//
// Not covered, by design: `export --pem --out -` and `export --pem` print
// or write the key because that is what they are asked for; `emulator`
// prints its own ARM token for the user.
func TestNoSecretInOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command against the emulator")
	}
	fx := reliabilityFixtures(t)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	emu := startRelEmulator(t, fx, nil)
	wd := t.TempDir()
	t.Chdir(wd)
	copyFixture("site.cscfg", "svc.cscfg")(t, fx)
	pwFile := filepath.Join(wd, "pw.txt")
	if err := os.WriteFile(pwFile, []byte(relPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"the password":                 relPassword,
		"the service key":              fx.keyMarker,
		"the management key":           fx.mgmtKeyMarker,
		"the ARM token":                emu.srv.APIM.Token(),
		"the password (lower case)":    strings.ToLower(relPassword),
		"the password without a dash":  strings.ReplaceAll(relPassword, "-", ""),
		"the password, URL-style half": relPassword[:12],
	}
	site, sitePFX, mgmtPFX := fx.path("site.cer"), fx.path("site.pfx"), fx.path("mgmt.pfx")
	wrong := "WRONG-" + relPassword[len(relPassword)-10:] + "-guess"
	secrets["a wrong password"] = wrong
	type run struct {
		args  []string
		stdin string
		// tty answers password prompts.
		tty []string
	}
	runs := []run{
		{args: []string{"new", "a.contoso.net", "--password", "env:RELPW", "--pem"}},
		{args: []string{"new", "b.contoso.net", "--password", "pass:" + relPassword}},
		{args: []string{"new", "c.contoso.net", "--password", "file:" + pwFile, "-o", "json"}},
		{args: []string{"new", "d.contoso.net", "--password", "stdin"}, stdin: relPassword + "\n"},
		{args: []string{"new", "e.contoso.net", "--password", "prompt"}, tty: []string{relPassword, relPassword}},
		{args: []string{"new", "f.contoso.net", "--password", "generate", "-o", "json"}},
		{args: []string{"new", "g.contoso.net", "--password", relPassword}}, // "pass:" forgotten: exit 2
		{args: []string{"new", "h.contoso.net", "--password", "prompt"}, tty: []string{relPassword, wrong}},
		{args: []string{"export", "--cer", sitePFX, "--in-password", "env:RELPW", "--out", "x.cer"}},
		{args: []string{"export", "--pfx", sitePFX, "--in-password", "env:RELPW", "--password", "env:RELPW", "--pfx-profile", "modern", "--out", "x.pfx"}},
		{args: []string{"export", "--pfx", fx.path("site.crt.pem"), "--key", fx.path("site.key.pem"), "--password", "env:RELPW", "--out", "y.pfx", "--debug"}},
		{args: []string{"export", "--cer", sitePFX, "--in-password", "pass:" + wrong, "--out", "z.cer"}},
		{args: []string{"thumbprint", sitePFX, "--in-password", "env:RELPW", "--debug"}},
		{args: []string{"thumbprint", sitePFX, "--in-password", "stdin"}, stdin: relPassword + "\n"},
		{args: []string{"thumbprint", sitePFX}, tty: []string{relPassword}},
		{args: []string{"show", sitePFX, "--in-password", "env:RELPW", "-o", "json", "--debug"}},
		{args: []string{"show", sitePFX, "--in-password", "pass:" + wrong}},
		{args: []string{"show", fx.path("site.key.pem")}},
		{args: []string{"show", fx.path("site.crt.pem"), fx.path("site.key.pem")}},
		{args: []string{"show", "-"}, stdin: string(mustRead(fx.dir, "site.key.pem")) + string(mustRead(fx.dir, "site.crt.pem"))},
		{args: []string{"check", sitePFX, "--in-password", "env:RELPW", "--domain", "contoso.net", "--debug"}},
		{args: []string{"check", sitePFX, "--in-password", "env:RELPW", "-o", "json"}},
		{args: []string{"cscfg", "set", "svc.cscfg", "--name", "SSL", "--cert", sitePFX, "--in-password", "env:RELPW"}},
		{args: []string{"cscfg", "show", "svc.cscfg", "-o", "json"}},
		{args: []string{"policy", "apim", "--cert", sitePFX, "--in-password", "env:RELPW"}},
		{args: []string{"upload", site, "--debug"}},
		{args: []string{"upload", sitePFX, "--in-password", "env:RELPW", "--debug", "-o", "json"}},
		{args: []string{"upload", sitePFX, "--service", "web", "--in-password", "env:RELPW", "--debug"}},
		{args: []string{"upload", sitePFX, "--service", "web", "--in-password", "pass:" + wrong, "--debug"}},
		{args: []string{"upload", site, "--auth-password", "pass:" + wrong, "--debug"}},
		{args: []string{"list", "--debug"}},
		{args: []string{"list", "--service", "web", "--debug", "-o", "json"}},
		{args: []string{"list", "--auth-cert", mgmtPFX, "--auth-password", "stdin", "--debug"}, stdin: relPassword + "\n"},
		{args: []string{"delete", site, "--yes", "--debug"}},
		{args: []string{"delete", sitePFX, "--in-password", "env:RELPW", "--service", "web", "--yes", "--debug"}},
		{args: []string{"rotate", "contoso.net", "--service", "web", "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rot", "--password", "env:RELPW", "--debug"}},
		{args: []string{"rotate", "contoso.net", "--service", "web", "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rot", "--password", "env:RELPW", "--debug", "-o", "json"}},
		{args: []string{"apim", "upload", sitePFX, "--in-password", "env:RELPW", "--resource-group", "rg-api", "--service", "contoso-apim", "--debug"}},
		{args: []string{"apim", "upload", sitePFX, "--in-password", "pass:" + wrong, "--resource-group", "rg-api", "--service", "contoso-apim", "--debug"}},
		{args: []string{"apim", "list", "--resource-group", "rg-api", "--service", "contoso-apim", "--debug", "-o", "json"}},
		{args: []string{"apim", "list", "--resource-group", "rg-api", "--service", "contoso-apim", "--access-token", "pass:" + wrong, "--retries", "0", "--debug"}},
		{args: []string{"apim", "delete", "contoso-net-00000000", "--resource-group", "rg-api", "--service", "contoso-apim", "--yes", "--debug"}},
		{args: []string{"keyvault", "import", sitePFX, "--in-password", "env:RELPW", "--debug"}},
		{args: []string{"keyvault", "import", sitePFX, "--password", "pass:" + wrong, "--debug"}},
		{args: []string{"keyvault", "import", sitePFX, "--in-password", "env:RELPW", "--access-token", "pass:" + wrong, "--retries", "0", "--debug"}},
		{args: []string{"keyvault", "show", "contoso-net", "--debug", "-o", "json"}},
		{args: []string{"keyvault", "delete", "contoso-net", "--purge", "--yes", "--debug"}},
		{args: []string{"vpn", "root", "add", sitePFX, "--allow-leaf", "--in-password", "env:RELPW", "--gateway", "rg-net/vpngw", "--debug"}},
		{args: []string{"vpn", "root", "add", sitePFX, "--allow-leaf", "--in-password", "pass:" + wrong, "--gateway", "rg-net/vpngw", "--debug"}},
		{args: []string{"vpn", "root", "data", sitePFX, "--allow-leaf", "--in-password", "env:RELPW", "-o", "json"}},
		{args: []string{"vpn", "root", "list", "--gateway", "rg-net/vpngw", "--debug", "-o", "json"}},
		{args: []string{"vpn", "root", "list", "--gateway", "rg-net/vpngw", "--access-token", "pass:" + wrong, "--retries", "0", "--debug"}},
		{args: []string{"vpn", "revoke", "add", sitePFX, "--in-password", "env:RELPW", "--gateway", "rg-net/vpngw", "--debug"}},
		{args: []string{"entra", "add", site, "--app", ciDeploy, "--debug"}},
		{args: []string{"entra", "add", fx.path("mgmt.cer"), "--app", ciDeploy, "--proof-cert", sitePFX, "--proof-password", "env:RELPW", "--debug", "-o", "json"}},
		{args: []string{"entra", "add", fx.path("mgmt.cer"), "--app", ciDeploy, "--proof-cert", sitePFX, "--proof-password", "pass:" + wrong, "--debug"}},
		{args: []string{"entra", "list", "--app", ciDeploy, "--debug", "-o", "json"}},
		{args: []string{"entra", "list", "--app", ciDeploy, "--access-token", "pass:" + wrong, "--retries", "0", "--debug"}},
		{args: []string{"entra", "signin", sitePFX, "--app", ciDeploy, "--tenant", emu.srv.Graph.Tenant(), "--authority", emu.srv.URL, "--in-password", "env:RELPW", "--debug"}},
		{args: []string{"entra", "signin", sitePFX, "--app", ciDeploy, "--tenant", emu.srv.Graph.Tenant(), "--authority", emu.srv.URL, "--in-password", "stdin", "--debug", "-o", "json"}, stdin: relPassword + "\n"},
		{args: []string{"entra", "signin", fx.path("mgmt.pfx"), "--app", ciDeploy, "--tenant", emu.srv.Graph.Tenant(), "--authority", emu.srv.URL, "--in-password", "env:RELPW", "--debug"}},
		{args: []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", mustThumb(t, fx.path("mgmt.cer")), "--proof-cert", sitePFX, "--proof-password", "env:RELPW", "--yes", "--debug"}},
		{args: []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", mustThumb(t, site), "--force", "--yes", "--debug"}},
		{args: []string{"version", "--debug"}},
	}
	// Positive control: the detector sees the key where azcert is asked to
	// print it.
	if r := invoke(t, []string{"export", "--pem", sitePFX, "--in-password", "env:RELPW", "--out", "-"}, nil, emu.env, nil); r.code != 0 || !strings.Contains(r.stdout, fx.keyMarker) {
		t.Fatalf("export --pem --out - (exit %d) does not show the key marker %q: the check would see nothing", r.code, fx.keyMarker)
	}
	var generated []string
	for i, rn := range runs {
		t.Run(fmt.Sprintf("%02d %s", i, strings.Join(rn.args[:min(2, len(rn.args))], " ")), func(t *testing.T) {
			edit := func(f *cmdutil.Factory) {}
			if rn.tty != nil {
				answers := append([]string(nil), rn.tty...)
				edit = func(f *cmdutil.Factory) {
					f.IO.InTTY, f.IO.ErrTTY = true, true
					f.IO.ReadPassword = func() ([]byte, error) {
						a := answers[0]
						answers = answers[1:]
						return []byte(a), nil
					}
				}
			}
			// The tokens Entra ID issues to entra signin are secrets too.
			var issued []string
			withTokens := func(f *cmdutil.Factory) {
				edit(f)
				f.SignIn = func(ctx context.Context, conn *cmdutil.ConnFlags, o entra.SignInOptions) (*entra.Token, error) {
					tok, err := connect.SignIn(ctx, f, conn, o)
					if tok != nil {
						issued = append(issued, tok.AccessToken)
					}
					return tok, err
				}
			}
			r := invoke(t, rn.args, strings.NewReader(rn.stdin), emu.env, withTokens)
			for _, tok := range issued {
				if tok == "" || strings.Contains(r.stdout+r.stderr, tok) {
					t.Errorf("the output shows the access token Entra ID issued (or it was empty):\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
				}
			}
			if rn.args[0] == "entra" && rn.args[1] == "signin" && r.code == 0 && len(issued) == 0 {
				t.Errorf("entra signin succeeded without a token passing through Factory.SignIn: the check sees nothing")
			}
			if r.panicked != nil || r.timedOut {
				t.Fatalf("panicked %v, timed out %v", r.panicked, r.timedOut)
			}
			t.Logf("exit %d", r.code)
			out := r.stdout + "\n" + r.stderr
			for what, s := range secrets {
				if strings.Contains(out, s) || strings.Contains(flatten(out), s) {
					t.Errorf("the output shows %s (%q):\nstdout:\n%s\nstderr:\n%s", what, s, r.stdout, r.stderr)
				}
			}
			for _, g := range generated {
				if strings.Contains(out, g) {
					t.Errorf("the output shows a generated password")
				}
			}
			if strings.Contains(strings.Join(rn.args, " "), "generate") {
				data, err := os.ReadFile(filepath.Join(wd, "f.contoso.net.pfx.password"))
				if err != nil {
					t.Fatal(err)
				}
				g := strings.TrimSpace(string(data))
				generated = append(generated, g)
				if strings.Contains(out, g) {
					t.Errorf("the generated password is in the output")
				}
			}
		})
	}
	// What reached the emulator: never a private key; the password only in
	// the body of Add Service Certificate, an ARM PUT and a Key Vault import
	// (Azure needs it to open the .pfx), and never in a header.
	for _, req := range emu.srv.Requests() {
		for _, key := range []string{fx.keyMarker, fx.mgmtKeyMarker} {
			if bytes.Contains(req.Body, []byte(key)) {
				t.Errorf("%s %s carried a private key", req.Method, req.Path)
			}
		}
		serviceAdd := req.Method == "POST" && strings.HasSuffix(req.Path, "/services/hostedservices/web/certificates")
		armPut := req.Method == "PUT"
		vaultImport := req.Method == "POST" && strings.HasSuffix(req.Path, "/import")
		if bytes.Contains(req.Body, []byte(relPassword)) && !serviceAdd && !armPut && !vaultImport {
			t.Errorf("%s %s carried the password", req.Method, req.Path)
		}
		for k, v := range req.Header {
			if strings.Contains(strings.Join(v, " "), relPassword) {
				t.Errorf("%s %s: header %s carries the password", req.Method, req.Path, k)
			}
		}
	}
}

// TestBareValueNeverEchoed gives every password flag a bare value (the
// password itself, "pass:" forgotten), a value with a colon, and an fd:
// that is not a number, with --debug, and checks that the answer is the
// usage error naming the flag and the sources, and that no four characters
// of the value appear in any output.
func TestBareValueNeverEchoed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command that reads a password against the emulator")
	}
	fx := reliabilityFixtures(t)
	emu := startRelEmulator(t, fx, nil)
	wd := t.TempDir()
	t.Chdir(wd)
	copyFixture("site.cscfg", "svc.cscfg")(t, fx)
	site, sitePFX := fx.path("site.cer"), fx.path("site.pfx")
	apim := []string{"--resource-group", "rg-api", "--service", "contoso-apim"}
	cases := []struct {
		flag string
		args []string
		want string // the sources listed for this flag
	}{
		{"password", []string{"new", "contoso.net"}, ", generate, none)"},
		{"password", []string{"export", "--pfx", sitePFX, "--in-password", "env:RELPW", "--out", "x.pfx"}, ", generate, none)"},
		{"in-password", []string{"export", "--cer", sitePFX, "--out", "x.cer"}, ")"},
		{"in-password", []string{"thumbprint", sitePFX}, ")"},
		{"in-password", []string{"show", sitePFX}, ")"},
		{"in-password", []string{"check", sitePFX}, ")"},
		{"in-password", []string{"cscfg", "set", "svc.cscfg", "--name", "SSL", "--cert", sitePFX}, ")"},
		{"in-password", []string{"policy", "apim", "--cert", sitePFX}, ")"},
		{"in-password", []string{"upload", sitePFX, "--service", "web"}, ")"},
		{"in-password", []string{"delete", sitePFX, "--service", "web", "--yes"}, ")"},
		{"in-password", append([]string{"apim", "upload", sitePFX}, apim...), ")"},
		{"auth-password", []string{"upload", site}, ")"},
		{"auth-password", []string{"list"}, ")"},
		{"auth-password", []string{"delete", site, "--yes"}, ")"},
		{"password", []string{"rotate", "contoso.net", "--service", "web", "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rot"}, ", generate, none)"},
		{"auth-password", []string{"rotate", "contoso.net", "--service", "web", "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rot", "--password", "env:RELPW"}, ")"},
		{"access-token", append([]string{"apim", "list"}, apim...), ")"},
		{"in-password", []string{"vpn", "root", "add", sitePFX, "--allow-leaf", "--gateway", "rg-net/vpngw"}, ")"},
		{"in-password", []string{"vpn", "root", "data", sitePFX, "--allow-leaf"}, ")"},
		{"in-password", []string{"vpn", "revoke", "add", sitePFX, "--gateway", "rg-net/vpngw"}, ")"},
		{"access-token", []string{"vpn", "root", "list", "--gateway", "rg-net/vpngw"}, ")"},
		{"proof-password", []string{"entra", "add", site, "--app", ciDeploy, "--proof-cert", sitePFX}, ")"},
		{"proof-password", []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", strings.Repeat("A", 40), "--proof-cert", sitePFX, "--yes"}, ")"},
		{"in-password", []string{"entra", "signin", sitePFX, "--app", ciDeploy, "--tenant", "contoso.onmicrosoft.com"}, ")"},
		{"access-token", []string{"entra", "list", "--app", ciDeploy}, ")"},
	}
	const secret = "Qv7Xz9Wk3Jp"
	values := []string{secret, "Qv7X:z9Wk3Jp", "fd:" + secret}
	for _, c := range cases {
		for _, v := range values {
			args := append(append([]string(nil), c.args...), "--"+c.flag, v, "--debug")
			name := strings.Join(c.args[:min(2, len(c.args))], " ") + " --" + c.flag + " " + v
			t.Run(name, func(t *testing.T) {
				r := invoke(t, args, nil, emu.env, nil)
				if r.code != cmdutil.ExitUsage {
					t.Errorf("exit %d, want %d; stderr:\n%s", r.code, cmdutil.ExitUsage, r.stderr)
				}
				wantMsg := "azcert: error: --" + c.flag + ": not a password source (want pass:TEXT, env:VAR, file:PATH, fd:N, stdin, prompt" + c.want
				if strings.HasPrefix(v, "fd:") {
					wantMsg = "azcert: error: --" + c.flag + " fd: needs a file descriptor number after the colon"
				}
				if !strings.Contains(r.stderr, wantMsg) {
					t.Errorf("stderr = %q, want %q", r.stderr, wantMsg)
				}
				out := r.stdout + r.stderr
				for i := 0; i+4 <= len(secret); i++ {
					if w := secret[i : i+4]; strings.Contains(out, w) {
						t.Errorf("the output shows %q, part of the value given to --%s:\n%s", w, c.flag, out)
					}
				}
			})
		}
	}
	if n := len(emu.srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the emulator; a bad password source must stop the command first", n)
	}
}
