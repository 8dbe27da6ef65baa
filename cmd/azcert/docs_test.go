package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
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
}
