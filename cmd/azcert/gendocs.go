package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// manDate is the date printed in generated man pages; fixed, so the
// output depends on the commands alone.
var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newGenDocsCmd is a hidden command for the release: it writes the
// Markdown reference (docs/reference) and the man pages from the command
// tree. TestReferenceUpToDate checks the committed reference against it.
func newGenDocsCmd(f *cmdutil.Factory) *cobra.Command {
	var markdown, man string
	cmd := &cobra.Command{
		Use:    "gen-docs [--markdown DIR] [--man DIR]",
		Short:  "Generate the command reference and man pages",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if markdown == "" && man == "" {
				return cmdutil.UsageErrorf("give --markdown DIR and/or --man DIR")
			}
			if markdown != "" {
				if err := genMarkdown(markdown); err != nil {
					return err
				}
			}
			if man != "" {
				if err := genMan(man); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&markdown, "markdown", "", "directory for the Markdown reference")
	cmd.Flags().StringVar(&man, "man", "", "directory for the man pages")
	return cmd
}

// docsRoot builds the command tree as users see it, with neutral streams.
func docsRoot() *cobra.Command {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ColorOff: true}, Now: time.Now, LookupEnv: os.LookupEnv}
	root := newRootCmd(f)
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	return root
}

func genMarkdown(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "azcert*.md"))
	for _, p := range old {
		os.Remove(p)
	}
	// The help topics are written first, as their text is (cobra leaves
	// them out); then the summaries and descriptions of the commands are
	// escaped, which cobra writes as Markdown: there "<name>.pfx" is an
	// HTML tag and vanishes, and indented tables lose their layout.
	root := docsRoot()
	for _, c := range root.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		page := fmt.Sprintf("## azcert help %s\n\n%s\n\n```\n%s\n```\n\n### SEE ALSO\n\n* [azcert](azcert.md)\t - %s\n",
			c.Name(), c.Short, c.Long, root.Short)
		if err := os.WriteFile(filepath.Join(dir, "azcert_help_"+c.Name()+".md"), []byte(page), 0o644); err != nil {
			return err
		}
	}
	markdownText(root)
	return doc.GenMarkdownTree(root, dir)
}

// markdownText escapes the summary and description of c and its
// subcommands (not the help topics, whose pages show them in a code
// block) for cobra's Markdown pages. The usage line and the examples
// stay as they are: cobra puts them in code blocks.
func markdownText(c *cobra.Command) {
	c.Short = markdownEscape(c.Short)
	c.Long = markdownLiteral(c.Long)
	for _, sub := range c.Commands() {
		if !sub.IsAdditionalHelpTopicCommand() {
			markdownText(sub)
		}
	}
}

func genMan(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	root := docsRoot()
	manText(root)
	return doc.GenManTree(root, &doc.GenManHeader{
		Title: "AZCERT", Section: "1", Source: "azcert", Manual: "azcert manual", Date: &manDate,
	}, dir)
}

// manText rewrites the usage line, summary and description of c and its
// subcommands for cobra's man page generator, which reads them as Markdown
// (go-md2man): there "<domain>" is an HTML tag and vanishes, "*" and "_"
// start emphasis and "1." a list. Text is escaped so that it comes out as
// written; indented lines (tables of flags, numbered steps) become literal
// blocks, so their layout survives roff's filling.
func manText(c *cobra.Command) {
	if name, rest, ok := strings.Cut(c.Use, " "); ok {
		c.Use = name + " " + markdownEscape(rest)
	}
	c.Short = markdownEscape(c.Short)
	c.Long = markdownLiteral(c.Long)
	for _, sub := range c.Commands() {
		manText(sub)
	}
}

// markdownEscape puts a backslash before every character that Markdown
// (blackfriday, with go-md2man's extensions) reads as inline markup: code,
// emphasis, links, HTML tags and entities, strikethrough, tables.
func markdownEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>&~|", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// blockStart matches the start of a line that Markdown reads as a heading,
// list item, quote or rule; its first mark character is escaped.
var blockStart = regexp.MustCompile(`^([#+=-]|[0-9]+\.)`)

// markdownLine escapes one line of a paragraph.
func markdownLine(line string) string {
	line = markdownEscape(line)
	if m := blockStart.FindStringIndex(line); m != nil {
		line = line[:m[1]-1] + "\\" + line[m[1]-1:]
	}
	return line
}

// markdownLiteral turns a help text into Markdown that renders as the
// text: paragraphs escaped, runs of indented lines fenced as code.
func markdownLiteral(s string) string {
	var b strings.Builder
	fenced := false
	for _, line := range strings.Split(s, "\n") {
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		switch {
		case indented && !fenced:
			b.WriteString("\n```\n")
			fenced = true
		case !indented && fenced && strings.TrimSpace(line) != "":
			b.WriteString("```\n\n")
			fenced = false
		}
		if fenced {
			b.WriteString(line + "\n")
		} else {
			b.WriteString(markdownLine(line) + "\n")
		}
	}
	if fenced {
		b.WriteString("```\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
