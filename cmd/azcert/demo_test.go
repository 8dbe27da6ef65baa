package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoScript runs the README's offline walk-through, scripts/demo.sh,
// end to end: it builds azcert, starts the emulator, and runs every step.
func TestDemoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("the walk-through builds azcert; skipped with -short")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is required under CI")
		}
		t.Skip("bash is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/demo.sh")
	cmd.Env = os.Environ()
	for _, k := range []string{"AZCERT_ENDPOINT", "AZCERT_SUBSCRIPTION", "AZCERT_AUTH_CERT", "AZCERT_CA_FILE", "AZCERT_OUTPUT", "AZCERT_CONFIG", "AZCERT_ARM_ENDPOINT", "AZCERT_ACCESS_TOKEN", "AZCERT_SERVICE", "AZCERT_RESOURCE_GROUP"} {
		cmd.Env = append(cmd.Env, k+"=")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		"url: https://127.0.0.1:",
		"ci-deploy.cer  registered",
		"ci-deploy.cer  already registered",
		"contoso.net.pfx  uploaded (cloud service contoso-web)",
		"deleted (subscription",
		"not registered; nothing to delete",
		"  uploaded\n",
		"  already present\n",
		"context.Request.Certificate.Thumbprint != &quot;",
		"The walk-through finished.",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, out)
		}
	}
}

// TestReadmeWalkthrough runs the README's walk-through as a user pastes it:
// the ```sh blocks of its "Walk-through" section (not the install and
// set-up blocks before it), concatenated, with bash -e in an empty
// directory and a freshly built azcert first on PATH.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the walk-through builds azcert; skipped with -short")
	}
	for _, tool := range []string{"bash", "jq"} {
		ok, err := haveTool(tool)
		if err != nil {
			t.Fatalf("the README walk-through needs %s: %v", tool, err)
		}
		if !ok {
			t.Skipf("%s is not installed; the README walk-through needs it", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := walkthroughBlocks(t, string(readme))
	for _, want := range []string{"azcert emulator ", `kill "$EMU_PID"`} {
		if !strings.Contains(script, want) {
			t.Fatalf("the README walk-through lacks %q; the extraction is broken or the walk-through changed:\n%s", want, script)
		}
	}

	bin := buildPlainAzcert(t)
	dir := t.TempDir()
	home := t.TempDir()
	// Whatever happens, no emulator outlives the test.
	prologue := "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-u", "-o", "pipefail", "-c", prologue+script)
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "AZCERT_") && k != "PATH" && k != "HOME" && k != "XDG_CONFIG_HOME" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README walk-through failed: %v\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", err, stdout.String(), stderr.String(), script)
	}
	// The emulator ran until the last line stopped it.
	if !strings.Contains(stderr.String(), "azcert emulator: stopping") {
		t.Errorf("the walk-through's emulator was not stopped by it:\nstderr:\n%s", stderr.String())
	}
}

// walkthroughBlocks returns the ```sh blocks of the README section whose
// heading starts "## Walk-through", joined into one script.
func walkthroughBlocks(t *testing.T, readme string) string {
	t.Helper()
	var b strings.Builder
	section, block, blocks := false, false, 0
	for _, line := range strings.Split(readme, "\n") {
		switch {
		case block && strings.HasPrefix(line, "```"):
			block = false
		case block:
			b.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			section = strings.HasPrefix(line, "## Walk-through")
		case section && strings.TrimSpace(line) == "```sh":
			block = true
			blocks++
		}
	}
	if blocks == 0 {
		t.Fatal(`README.md: no "## Walk-through" section with a ` + "```sh" + ` block`)
	}
	return b.String()
}
