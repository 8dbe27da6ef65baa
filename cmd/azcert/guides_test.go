package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGuideCommandsAreTested checks that every azcert command line in the
// guides (docs/*.md, in ```console blocks, after "$ ") is run by the
// guide's testscript, testdata/script/guide_<name>.txtar, exactly as
// written. The scripts run in TestScripts, so every documented command
// line is exercised.
func TestGuideCommandsAreTested(t *testing.T) {
	guides, _ := filepath.Glob("../../docs/*.md")
	if len(guides) == 0 {
		t.Fatal("no guides found in docs/")
	}
	total := 0
	for _, g := range guides {
		name := strings.TrimSuffix(filepath.Base(g), ".md")
		cmds := guideCommands(t, g)
		if len(cmds) == 0 {
			continue
		}
		script := filepath.Join("testdata", "script", "guide_"+strings.ReplaceAll(name, "-", "_")+".txtar")
		tested := scriptCommands(t, script)
		for _, c := range cmds {
			total++
			if !tested[c] {
				t.Errorf("%s: %q is not run by %s", filepath.Base(g), c, script)
			}
		}
	}
	if total < 20 {
		t.Errorf("only %d command lines found in the guides; the extraction is broken", total)
	}
}

var trailingComment = regexp.MustCompile(`\s+#\s.*$`)

func guideCommands(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```console"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.HasPrefix(line, "$ azcert "):
			cmds = append(cmds, trailingComment.ReplaceAllString(strings.TrimPrefix(line, "$ "), ""))
		}
	}
	return cmds
}

var scriptCmd = regexp.MustCompile(`^(?:\[[^\]]+\]\s+)?(?:!\s+)?(?:exec|exits\s+\d+)\s+(azcert\s.*?)(?:\s+&(?:\w+&)?)?$`)

func scriptCommands(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("reading %s: %v", path, err)
		return nil
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if m := scriptCmd.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			out[m[1]] = true
		}
	}
	return out
}

// envVarName matches an environment variable's name in help or docs text:
// AZCERT_SUBSCRIPTION, AZURE_CLIENT_ID, NO_COLOR, TERM, ... (not the
// pattern AZCERT_<FLAG>).
var envVarName = regexp.MustCompile(`\b(?:[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]|TERM)\b`)

func envVarNames(text string) map[string]bool {
	names := map[string]bool{}
	for _, n := range envVarName.FindAllString(text, -1) {
		names[n] = true
	}
	return names
}

// TestEnvironmentVariablesDocumented checks that docs/configuration.md and
// the README's Configuration section name exactly the variables `azcert
// help environment` names, and that no page names one it does not.
func TestEnvironmentVariablesDocumented(t *testing.T) {
	help := envVarNames(newEnvironmentTopic().Long)
	for _, must := range []string{"AZCERT_SUBSCRIPTION", "AZCERT_ACCESS_TOKEN", "AZURE_CLIENT_ID", "NO_COLOR"} {
		if !help[must] {
			t.Fatalf("azcert help environment does not name %s; the extraction is broken", must)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	if _, after, ok := strings.Cut(section, "\n### Configuration\n"); ok {
		section, _, _ = strings.Cut(after, "\n#")
	} else {
		t.Fatal("README.md has no ### Configuration section")
	}
	for page, text := range map[string]string{
		"docs/configuration.md":            string(config),
		"README.md, section Configuration": section,
	} {
		got := envVarNames(text)
		for n := range help {
			if !got[n] {
				t.Errorf("%s does not name %s, which azcert help environment lists", page, n)
			}
		}
		for n := range got {
			if !help[n] {
				t.Errorf("%s names %s, which azcert help environment does not list", page, n)
			}
		}
	}
	pages, _ := filepath.Glob("../../docs/*.md")
	pages = append(pages, "../../README.md")
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for n := range envVarNames(string(data)) {
			if !help[n] && (strings.HasPrefix(n, "AZCERT_") || strings.HasPrefix(n, "AZURE_")) {
				t.Errorf("%s names %s, which azcert help environment does not list", filepath.Base(p), n)
			}
		}
	}
}
