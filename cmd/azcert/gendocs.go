package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is the date printed in generated man pages; fixed, so the
// output depends on the commands alone.
var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newGenDocsCmd is a hidden command for the release: it writes the
// Markdown reference (docs/reference) and the man pages from the command
// tree. TestReferenceUpToDate checks the committed reference against it.
func newGenDocsCmd(f *factory) *cobra.Command {
	var markdown, man string
	cmd := &cobra.Command{
		Use:    "gen-docs [--markdown DIR] [--man DIR]",
		Short:  "Generate the command reference and man pages",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if markdown == "" && man == "" {
				return usageErrorf("give --markdown DIR and/or --man DIR")
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
	f := &factory{IO: &iostreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, colorOff: true}, Now: time.Now, lookupEnv: os.LookupEnv}
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
	root := docsRoot()
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return err
	}
	// cobra leaves out help topics; they are part of the reference too.
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
	return nil
}

func genMan(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return doc.GenManTree(docsRoot(), &doc.GenManHeader{
		Title: "AZCERT", Section: "1", Source: "azcert", Manual: "azcert manual", Date: &manDate,
	}, dir)
}
