package main

import (
	"context"
	"os"
	"os/exec"
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
