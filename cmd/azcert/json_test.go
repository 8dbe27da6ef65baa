package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// camelCase is the one key style of -o json (docs/json-output.md): a
// lower-case first letter, then letters and digits.
var camelCase = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// jsonKeys returns every object key in v (decoded JSON), with its path.
func jsonKeys(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[path+"."+k] = k
			jsonKeys(e, path+"."+k, out)
		}
	case []any:
		for _, e := range x {
			jsonKeys(e, path+"[]", out)
		}
	}
}

// leafCommands lists the command paths ("apim upload") that do work, not
// help topics, shell completion or the generator of these docs.
func leafCommands(c *cobra.Command) []string {
	var out []string
	for _, s := range c.Commands() {
		switch s.Name() {
		case "help", "completion", "gen-docs", "__complete", "__completeNoDesc":
			continue
		}
		if s.HasSubCommands() {
			out = append(out, leafCommands(s)...)
		} else if s.Runnable() {
			out = append(out, strings.TrimPrefix(s.CommandPath(), "azcert "))
		}
	}
	return out
}

// TestJSONStyle runs every command with -o json (the emulator where it
// talks to Azure) and fails on a key that is not camelCase, on output that
// is not one JSON value, on a command that takes several inputs and
// answers anything but an array, and on a command this test does not run.
func TestJSONStyle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command against the emulator")
	}
	fx := reliabilityFixtures(t)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	emu := startRelEmulator(t, fx, nil)
	wd := t.TempDir()
	t.Chdir(wd)
	copyFixture("site.cscfg", "svc.cscfg")(t, fx)
	site, sitePFX, mgmtCer := fx.path("site.cer"), fx.path("site.pfx"), fx.path("mgmt.cer")
	pw := []string{"--in-password", "env:RELPW"}
	apim := []string{"--resource-group", "rg-api", "--service", "contoso-apim"}
	vpn := []string{"--gateway", "rg-net/vpngw"}

	type jsonRun struct {
		cmd  string // the command path, as leafCommands names it
		args []string
		// array: the answer is an array (a list, or a command that takes
		// one input or many).
		array bool
	}
	runs := []jsonRun{
		{cmd: "version"},
		{cmd: "new", args: []string{"json.contoso.net", "--password", "env:RELPW", "--pem"}},
		{cmd: "export", args: append([]string{sitePFX, "--cer", "--out", "x.cer"}, pw...)},
		{cmd: "thumbprint", args: []string{site}, array: true},
		{cmd: "thumbprint", args: []string{site, mgmtCer, "--expect", strings.Repeat("0", 40)}, array: true}, // exit 4, still JSON
		{cmd: "show", args: append([]string{sitePFX}, pw...), array: true},
		{cmd: "show", args: []string{site, mgmtCer}, array: true},
		{cmd: "check", args: append([]string{sitePFX, "--for", "service"}, pw...)},
		{cmd: "cscfg show", args: []string{"svc.cscfg"}, array: true},
		{cmd: "cscfg set", args: []string{"svc.cscfg", "--name", "SSL", "--cert", site}},
		{cmd: "policy apim", args: []string{"--cert", site}},
		{cmd: "upload", args: []string{site}, array: true},
		{cmd: "upload", args: append([]string{sitePFX, "--service", "web"}, pw...), array: true},
		{cmd: "list", array: true},
		{cmd: "list", args: []string{"--service", "web"}, array: true},
		{cmd: "delete", args: []string{site, "--yes"}},
		{cmd: "rotate", args: []string{"contoso.net", "--service", "web", "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rot", "--password", "env:RELPW"}},
		{cmd: "rotate", args: []string{"contoso.net", "--keyvault", emu.srv.URL, "--cscfg", "svc.cscfg", "--name", "SSL", "--file-name", "rotkv", "--password", "env:RELPW", "--vault-id", "/subscriptions/x/vaults/kv"}},
		{cmd: "apim upload", args: append(append([]string{sitePFX}, pw...), apim...)},
		{cmd: "apim list", args: apim, array: true},
		{cmd: "apim delete", args: append([]string{mustThumb(t, site), "--yes"}, apim...)},
		{cmd: "apim delete", args: append([]string{mustThumb(t, site), "--yes"}, apim...)}, // not present
		{cmd: "keyvault import", args: append([]string{sitePFX}, pw...)},
		{cmd: "keyvault list", array: true},
		{cmd: "keyvault list", args: []string{"--include-versions", "contoso-net"}, array: true},
		{cmd: "keyvault show", args: []string{"contoso-net"}},
		{cmd: "keyvault delete", args: []string{"contoso-net", "--yes"}},
		{cmd: "keyvault recover", args: []string{"contoso-net"}},
		{cmd: "keyvault delete", args: []string{"contoso-net", "--purge", "--yes"}},
		{cmd: "keyvault delete", args: []string{"contoso-net", "--yes"}}, // not present
		{cmd: "new", args: []string{"--ca", "JSON Root", "--name", "jroot", "--password", "env:RELPW"}},
		{cmd: "vpn root data", args: []string{"jroot.cer"}},
		{cmd: "vpn root add", args: append([]string{"jroot.cer"}, vpn...)},
		{cmd: "vpn root add", args: append([]string{"jroot.pfx"}, append(pw, vpn...)...)}, // already present
		{cmd: "vpn root list", args: vpn, array: true},
		{cmd: "vpn root remove", args: append([]string{"JSON-Root", "--yes"}, vpn...)},
		{cmd: "vpn root remove", args: append([]string{"JSON-Root", "--yes"}, vpn...)}, // not present
		{cmd: "vpn revoke add", args: append([]string{site}, vpn...)},
		{cmd: "vpn revoke list", args: vpn, array: true},
		{cmd: "vpn revoke remove", args: append([]string{"--thumbprint", mustThumb(t, site)}, vpn...)},
		{cmd: "entra list", args: []string{"--app", ciDeploy}, array: true}, // none yet
		{cmd: "entra add", args: []string{site, "--app", ciDeploy}},
		{cmd: "entra add", args: []string{site, "--app", ciDeploy}}, // already present
		{cmd: "entra add", args: []string{mgmtCer, "--app", ciDeploy, "--proof-cert", sitePFX, "--proof-password", "env:RELPW"}},
		{cmd: "entra list", args: []string{"--app", ciDeploy}, array: true},
		{cmd: "entra signin", args: append([]string{sitePFX, "--app", ciDeploy, "--tenant", emu.srv.Graph.Tenant(), "--authority", emu.srv.URL}, pw...)},
		{cmd: "entra remove", args: []string{"--app", ciDeploy, "--thumbprint", mustThumb(t, site), "--proof-cert", sitePFX, "--proof-password", "env:RELPW", "--yes"}},
		{cmd: "entra remove", args: []string{"--app", ciDeploy, "--thumbprint", mustThumb(t, site), "--yes"}}, // not present
	}
	ran := map[string]bool{}
	check := func(t *testing.T, rn jsonRun, stdout string) {
		t.Helper()
		var v any
		dec := json.NewDecoder(strings.NewReader(stdout))
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		if dec.More() {
			t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
		}
		if _, isArray := v.([]any); isArray != rn.array {
			t.Errorf("answer is an array: %v, want %v:\n%s", isArray, rn.array, stdout)
		}
		keys := map[string]string{}
		jsonKeys(v, "", keys)
		for path, k := range keys {
			if !camelCase.MatchString(k) {
				t.Errorf("key %s (%q) is not camelCase", path, k)
			}
		}
	}
	for i, rn := range runs {
		ran[rn.cmd] = true
		args := append(append(strings.Fields(rn.cmd), rn.args...), "-o", "json")
		t.Run(fmt.Sprintf("%02d %s", i, rn.cmd), func(t *testing.T) {
			r := invoke(t, args, nil, emu.env, nil)
			if r.panicked != nil || r.timedOut || (r.code != 0 && r.code != 4) {
				t.Fatalf("exit %d (panicked %v, timed out %v)\nstderr:\n%s", r.code, r.panicked, r.timedOut, r.stderr)
			}
			check(t, rn, r.stdout)
		})
	}

	// policy apim: the JSON string is the very XML of the text output.
	t.Run("policy text = json", func(t *testing.T) {
		text := invoke(t, []string{"policy", "apim", "--cert", site}, nil, nil, nil)
		js := invoke(t, []string{"policy", "apim", "--cert", site, "-o", "json"}, nil, nil, nil)
		var v struct{ Policy string }
		if err := json.Unmarshal([]byte(js.stdout), &v); err != nil || text.code != 0 {
			t.Fatalf("exit %d; %v", text.code, err)
		}
		if v.Policy != text.stdout || !strings.Contains(js.stdout, `"<policies>`) {
			t.Errorf("JSON policy differs from the text one, or is escaped:\n%s\n---\n%s", js.stdout, text.stdout)
		}
	})

	// The emulator prints its JSON, then serves until stopped.
	ran["emulator"] = true
	t.Run("emulator", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &lockedBuffer{}
		f, _, _ := testFactory(t, "", nil, nil)
		f.IO.Out, f.Ctx = out, ctx
		done := make(chan int, 1)
		go func() {
			done <- run([]string{"emulator", "--listen", "127.0.0.1:0", "--ca-out", "emu-ca.pem", "--entra-app", "ci-deploy", "-o", "json"}, f)
		}()
		deadline := time.Now().Add(20 * time.Second)
		// The object ends with a "}" at the start of a line; the entraApps
		// objects inside it are indented.
		for !strings.Contains(out.String(), "\n}") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("emulator exit %d", code)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the emulator did not stop when its context was cancelled")
		}
		check(t, jsonRun{}, out.String())
	})

	var missing []string
	for _, c := range leafCommands(newRootCmd(&cmdutil.Factory{IO: &cmdutil.IOStreams{}})) {
		if !ran[c] {
			missing = append(missing, c)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no JSON run for: %s (add one above)", strings.Join(missing, ", "))
	}
	if !slices.Contains(leafCommands(newRootCmd(&cmdutil.Factory{IO: &cmdutil.IOStreams{}})), "apim upload") {
		t.Error("leafCommands does not see the group commands")
	}
}

func mustThumb(t *testing.T, path string) string {
	t.Helper()
	r := invoke(t, []string{"thumbprint", path}, nil, nil, nil)
	if r.code != 0 {
		t.Fatalf("thumbprint %s: exit %d: %s", path, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// lockedBuffer is a bytes.Buffer that one goroutine writes while another
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
