package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/russross/blackfriday/v2"
	"github.com/spf13/cobra"
)

var updateReference = flag.Bool("update-reference", false, "rewrite docs/reference from the command tree")

// TestReferenceUpToDate fails when docs/reference differs from what the
// command tree generates. Refresh it with:
//
//	go test ./cmd/azcert -run TestReferenceUpToDate -update-reference
func TestReferenceUpToDate(t *testing.T) {
	committed := "../../docs/reference"
	if *updateReference {
		if err := genMarkdown(committed); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := genMarkdown(dir); err != nil {
		t.Fatal(err)
	}
	generated, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	if len(generated) != len(have) {
		t.Errorf("docs/reference has %d pages, the command tree makes %d; run: go test ./cmd/azcert -run TestReferenceUpToDate -update-reference", len(have), len(generated))
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(g)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/reference/%s is out of date; run: go test ./cmd/azcert -run TestReferenceUpToDate -update-reference", filepath.Base(g))
		}
	}
}

// TestManPages checks the generated man pages: one per command, and each
// SYNOPSIS is the command's usage line with its <placeholders>, [optional]
// parts and {a|b} choices as written (go-md2man used to read "<domain>" as
// an HTML tag and drop it), and descriptions keep theirs too.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if err := genMan(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"azcert.1", "azcert-new.1", "azcert-apim-upload.1", "azcert-cscfg-set.1"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) < 200 {
			t.Errorf("man page %s missing or empty (%v)", name, err)
		}
	}

	checked := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no man page for %q: %v", c.CommandPath(), err)
			return
		}
		c.InitDefaultHelpFlag() // as the generator does, so UseLine ends in [flags]
		if got, want := manSynopsis(string(data)), c.UseLine(); got != want {
			t.Errorf("%s: SYNOPSIS = %q, want %q", name, got, want)
		}
		checked++
	}
	walk(docsRoot())
	if checked < 20 {
		t.Errorf("only %d man pages checked; the command walk is broken", checked)
	}

	// Placeholders in descriptions, and a table kept as a literal block.
	for name, wants := range map[string][]string{
		"azcert-new.1":         {"<name>.pfx (key + certificate, mode 0600)", "CN=<first domain>;", "wildcards (*.contoso.net)"},
		"azcert-export.1":      {".EX\n  --cer   the public certificate", "<base>.key.pem"},
		"azcert-policy-apim.1": {"a <choose>/<when> on", "existing <inbound> section"},
		"azcert-rotate.1":      {"  1. create a new key", "(<out-dir>/<domain>.pfx"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		text := strings.ReplaceAll(string(data), `\&`, "")
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, data)
			}
		}
	}
}

// manSynopsis returns the text of a man page's SYNOPSIS line, with roff's
// font changes and zero-width escapes removed.
func manSynopsis(page string) string {
	_, after, ok := strings.Cut(page, ".SH SYNOPSIS\n")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(after, "\n")
	return strings.NewReplacer(`\fB`, "", `\fP`, "", `\&`, "").Replace(line)
}

// TestReferenceRendersAsWritten renders every page of the Markdown
// reference (with blackfriday, which cobra's man pages use too) and checks
// that the text survives: no placeholder such as <name> turned into an
// HTML tag, no "*.contoso.net" into emphasis.
func TestReferenceRendersAsWritten(t *testing.T) {
	dir := t.TempDir()
	if err := genMarkdown(dir); err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(pages) < 20 {
		t.Fatalf("only %d pages generated", len(pages))
	}
	allowed := map[string]bool{"h2": true, "h3": true, "p": true, "pre": true, "code": true, "ul": true, "li": true, "a": true}
	tag := regexp.MustCompile(`</?([a-zA-Z][a-zA-Z0-9-]*)`)
	for _, p := range pages {
		data, _ := os.ReadFile(p)
		html := string(blackfriday.Run(data))
		for _, m := range tag.FindAllStringSubmatch(html, -1) {
			if !allowed[m[1]] {
				t.Errorf("%s renders the tag <%s>: text of the help is read as Markdown markup", filepath.Base(p), m[1])
				break
			}
		}
	}
	for name, wants := range map[string][]string{
		"azcert_new.md":    {"&lt;name&gt;.pfx (key + certificate, mode 0600)", "CN=&lt;first domain&gt;;", "wildcards (*.contoso.net)"},
		"azcert_export.md": {"<pre><code>  --cer   the public certificate", "&lt;base&gt;.key.pem"},
	} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		html := strings.Join(strings.Fields(string(blackfriday.Run(data))), " ")
		for _, want := range wants {
			if !strings.Contains(html, strings.Join(strings.Fields(want), " ")) {
				t.Errorf("%s renders without %q:\n%s", name, want, html)
			}
		}
	}
}
