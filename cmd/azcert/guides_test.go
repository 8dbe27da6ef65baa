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
