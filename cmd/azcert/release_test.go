package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGoreleaserConfig is the light check CI runs of .goreleaser.yaml (the
// full `goreleaser check` and snapshot build are in docs/releasing.md): the
// settings the release promises are there.
func TestGoreleaserConfig(t *testing.T) {
	data, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Before  struct {
			Hooks []string `yaml:"hooks"`
		} `yaml:"before"`
		Builds []struct {
			Main    string   `yaml:"main"`
			Env     []string `yaml:"env"`
			Flags   []string `yaml:"flags"`
			Ldflags []string `yaml:"ldflags"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
		} `yaml:"builds"`
		Archives []struct {
			Formats         []string `yaml:"formats"`
			FormatOverrides []struct {
				Goos    string   `yaml:"goos"`
				Formats []string `yaml:"formats"`
			} `yaml:"format_overrides"`
			Files []string `yaml:"files"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 || len(cfg.Builds) != 1 || len(cfg.Archives) != 1 {
		t.Fatalf("want version 2, one build, one archive: %+v", cfg)
	}
	b := cfg.Builds[0]
	checks := map[string]bool{
		"main is ./cmd/azcert":   b.Main == "./cmd/azcert",
		"CGO_ENABLED=0":          contains(b.Env, "CGO_ENABLED=0"),
		"-trimpath":              contains(b.Flags, "-trimpath"),
		"version injected":       len(b.Ldflags) == 1 && strings.Contains(b.Ldflags[0], "-X main.version={{ .Version }}"),
		"linux, darwin, windows": strings.Join(b.Goos, ",") == "linux,darwin,windows",
		"amd64, arm64":           strings.Join(b.Goarch, ",") == "amd64,arm64",
		"zip on Windows":         len(cfg.Archives[0].FormatOverrides) == 1 && cfg.Archives[0].FormatOverrides[0].Goos == "windows" && contains(cfg.Archives[0].FormatOverrides[0].Formats, "zip"),
		"README, LICENSE, completions, man pages": contains(cfg.Archives[0].Files, "README.md") && contains(cfg.Archives[0].Files, "LICENSE") &&
			contains(cfg.Archives[0].Files, "completions/*") && contains(cfg.Archives[0].Files, "manpages/*"),
		"checksums file": cfg.Checksum.NameTemplate != "",
	}
	// The archives' completions/* and manpages/* are made by the before
	// hooks; an empty glob would ship an archive without them.
	hooks := strings.Join(cfg.Before.Hooks, "\n")
	for what, want := range map[string]string{
		"bash completion":       "completion bash > completions/azcert.bash",
		"zsh completion":        "completion zsh > completions/_azcert",
		"fish completion":       "completion fish > completions/azcert.fish",
		"PowerShell completion": "completion powershell > completions/azcert.ps1",
		"man pages":             "gen-docs --man manpages",
	} {
		checks["a before hook writes the "+what] = strings.Contains(hooks, want)
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf(".goreleaser.yaml: %s is not set as the release needs", what)
		}
	}
}

// TestVersionInjection builds azcert with the release's -X flag (without
// -trimpath, so the build cache serves it) and checks
// `azcert version` prints the injected version.
func TestVersionInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "azcert")
	build := exec.Command("go", "build", "-ldflags", "-s -w -X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "azcert v9.8.7-test (") {
		t.Errorf("azcert version = %q, %v; want the injected v9.8.7-test", out, err)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestNewVersionCmd: -o json reaches the options; arguments are refused.
func TestNewVersionCmd(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		wantJSON bool
		wantErr  bool
	}{{nil, false, false}, {[]string{"-o", "json"}, true, false}, {[]string{"extra"}, false, true}} {
		f, _, _ := testFactory(t, "", nil, nil)
		var got *versionOptions
		root := newRootCmd(f)
		for _, c := range root.Commands() {
			if c.Name() == "version" {
				root.RemoveCommand(c)
			}
		}
		root.AddCommand(newVersionCmd(f, func(o *versionOptions) error { got = o; return nil }))
		root.SetArgs(append([]string{"version"}, tt.args...))
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		err := root.Execute()
		if (err != nil) != tt.wantErr || (!tt.wantErr && (got == nil || got.JSON != tt.wantJSON || got.IO != f.IO)) {
			t.Errorf("version %v: err %v, options %+v", tt.args, err, got)
		}
	}
}
