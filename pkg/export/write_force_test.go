package export

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteFilesForceAllOrNone: with force, a failure after the first
// output replaced an existing file puts that file back, so a command that
// writes several files writes all or none with --force too (DESIGN.md 2.8).
// Before the fix the replaced file was lost: "one that was replaced cannot
// be brought back".
func TestWriteFilesForceAllOrNone(t *testing.T) {
	hookErr := errors.New("injected failure")
	for _, tt := range []struct {
		name     string
		existing []string // which of a.pfx, a.cer exist before
		link     bool     // a.pfx is a symbolic link to ../elsewhere
	}{
		{name: "both exist", existing: []string{"a.pfx", "a.cer"}},
		{name: "only the first exists", existing: []string{"a.pfx"}},
		{name: "the first is a symbolic link", existing: []string{"a.cer"}, link: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old := map[string][]byte{"a.pfx": []byte("old secret"), "a.cer": []byte("old public")}
			for _, name := range tt.existing {
				if err := os.WriteFile(filepath.Join(dir, name), old[name], 0o640); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(t.TempDir(), "elsewhere")
			if tt.link {
				if err := os.Symlink(target, filepath.Join(dir, "a.pfx")); err != nil {
					t.Fatal(err)
				}
			}
			before := dirNames(t, dir)
			files := []File{
				{Path: filepath.Join(dir, "a.pfx"), Data: []byte("new secret"), Mode: ModeSecret},
				{Path: filepath.Join(dir, "a.cer"), Data: []byte("new public"), Mode: ModePublic},
			}
			setHooks(t, func(path string) error {
				if path == files[1].Path {
					return hookErr
				}
				return nil
			}, nil)
			if err := WriteFiles(files, true); !errors.Is(err, hookErr) {
				t.Fatalf("WriteFiles(force) = %v, want the injected failure", err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, before) {
				t.Errorf("after the failure the directory holds %q, want %q (no output added, no temporary or backup left)", got, before)
			}
			for _, name := range tt.existing {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != string(old[name]) {
					t.Errorf("%s = %q, %v; want its old content %q back", name, got, err, old[name])
				}
				if st, _ := os.Stat(filepath.Join(dir, name)); st.Mode().Perm() != 0o640 {
					t.Errorf("%s mode %04o, want its old 0640", name, st.Mode().Perm())
				}
			}
			if tt.link {
				if got, err := os.Readlink(filepath.Join(dir, "a.pfx")); err != nil || got != target {
					t.Errorf("a.pfx is no longer the link to %s: %q, %v", target, got, err)
				}
			}
			// And once nothing fails, the same call replaces both and leaves
			// no backup behind.
			setHooks(t, nil, nil)
			if err := WriteFiles(files, true); err != nil {
				t.Fatal(err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{"a.cer", "a.pfx"}) {
				t.Errorf("after success the directory holds %q", got)
			}
			checkContent(t, files[0].Path, files[0].Data)
			checkContent(t, files[1].Path, files[1].Data)
		})
	}
}
