package export

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", filepath.Base(path), got, want)
	}
}

// setHooks installs testHooks for one test.
func setHooks(t *testing.T, beforeCommit func(string) error, sync func(*os.File) error) {
	t.Helper()
	saved := testHooks
	testHooks.beforeCommit = beforeCommit
	testHooks.sync = sync
	t.Cleanup(func() { testHooks = saved })
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	files := []File{
		{Path: filepath.Join(dir, "contoso.net.pfx"), Data: []byte("pfx bytes\x00\x01"), Mode: ModeSecret},
		{Path: filepath.Join(dir, "contoso.net.cer"), Data: []byte("cer bytes"), Mode: ModePublic},
		{Path: filepath.Join(dir, "empty"), Data: nil},
	}
	if err := WriteFiles(files, false); err != nil {
		t.Fatalf("WriteFiles() error = %v", err)
	}
	for _, f := range files {
		checkContent(t, f.Path, f.Data)
	}
	if got, want := dirNames(t, dir), []string{"contoso.net.cer", "contoso.net.pfx", "empty"}; !slices.Equal(got, want) {
		t.Errorf("after WriteFiles() the directory holds %q, want %q (no temporary or probe files)", got, want)
	}
}

func TestWriteFilesRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteFiles([]File{{Path: "out.cer", Data: []byte("cer"), Mode: ModePublic}}, false); err != nil {
		t.Fatalf("WriteFiles(out.cer) error = %v", err)
	}
	checkContent(t, filepath.Join(dir, "out.cer"), []byte("cer"))
	if got := dirNames(t, dir); !slices.Equal(got, []string{"out.cer"}) {
		t.Errorf("directory holds %q, want only out.cer", got)
	}
}

func TestWriteFilesRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "b.pfx")
	old := []byte("the old file, which must survive")
	writeFile(t, existing, old)
	files := []File{
		{Path: filepath.Join(dir, "a.cer"), Data: []byte("new cer"), Mode: ModePublic},
		{Path: existing, Data: []byte("new pfx"), Mode: ModeSecret},
	}
	err := WriteFiles(files, false)
	var ee *ExistsError
	if !errors.As(err, &ee) || ee.Path != existing {
		t.Fatalf("WriteFiles(existing, force=false) = %v, want *ExistsError for %s", err, existing)
	}
	if !strings.Contains(err.Error(), "--force") {
		t.Errorf("WriteFiles(existing) error = %q, want it to mention --force", err)
	}
	checkContent(t, existing, old)
	if got := dirNames(t, dir); !slices.Equal(got, []string{"b.pfx"}) {
		t.Errorf("after a refused WriteFiles() the directory holds %q, want only the old b.pfx", got)
	}
}

func TestWriteFilesForce(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "b.pfx")
	writeFile(t, existing, []byte("a much longer old file than the new one"))
	files := []File{
		{Path: filepath.Join(dir, "a.cer"), Data: []byte("new cer"), Mode: ModePublic},
		{Path: existing, Data: []byte("new pfx"), Mode: ModeSecret},
	}
	if err := WriteFiles(files, true); err != nil {
		t.Fatalf("WriteFiles(existing, force=true) error = %v", err)
	}
	for _, f := range files {
		checkContent(t, f.Path, f.Data)
	}
	if got, want := dirNames(t, dir), []string{"a.cer", "b.pfx"}; !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.pfx")
	writeFile(t, existing, []byte("old"))
	subdir := filepath.Join(dir, "subdir")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new.pfx")

	tests := []struct {
		name   string
		paths  []string
		force  bool
		exists string // path of the wanted *ExistsError
		reason string // fragment of the wanted *OutputError's Reason
	}{
		{name: "new files", paths: []string{fresh, filepath.Join(dir, "new.cer")}},
		{name: "no paths", paths: nil},
		{name: "existing with force", paths: []string{existing, fresh}, force: true},
		{name: "existing without force", paths: []string{fresh, existing}, exists: existing},
		{name: "missing directory", paths: []string{filepath.Join(dir, "missing", "a.pfx")}, reason: "does not exist"},
		{name: "missing directory with force", paths: []string{filepath.Join(dir, "missing", "a.pfx")}, force: true, reason: "does not exist"},
		{name: "parent is a file", paths: []string{filepath.Join(existing, "a.pfx")}, reason: "is not a directory"},
		{name: "output is a directory", paths: []string{subdir}, reason: "it is a directory"},
		{name: "output is a directory with force", paths: []string{subdir}, force: true, reason: "it is a directory"},
		{name: "same path twice", paths: []string{fresh, fresh}, reason: "same name"},
		{name: "same path spelt twice", paths: []string{fresh, filepath.Join(dir, ".", "subdir", "..", "new.pfx")}, reason: "same name"},
		{name: "same existing path twice with force", paths: []string{existing, existing}, force: true, reason: "same name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dirNames(t, dir)
			err := CheckWritable(tt.paths, tt.force)
			if got := dirNames(t, dir); !slices.Equal(got, before) {
				t.Errorf("CheckWritable changed the directory from %q to %q", before, got)
			}
			checkWriteError(t, "CheckWritable", err, tt.exists, tt.reason)

			// WriteFiles checks the same things first and then writes
			// nothing.
			files := make([]File, len(tt.paths))
			for i, p := range tt.paths {
				files[i] = File{Path: p, Data: []byte("new"), Mode: ModePublic}
			}
			if tt.exists == "" && tt.reason == "" {
				return
			}
			err = WriteFiles(files, tt.force)
			checkWriteError(t, "WriteFiles", err, tt.exists, tt.reason)
			if got := dirNames(t, dir); !slices.Equal(got, before) {
				t.Errorf("a refused WriteFiles changed the directory from %q to %q", before, got)
			}
			checkContent(t, existing, []byte("old"))
		})
	}
}

func checkWriteError(t *testing.T, fn string, err error, exists, reason string) {
	t.Helper()
	switch {
	case exists != "":
		var ee *ExistsError
		if !errors.As(err, &ee) || ee.Path != exists {
			t.Errorf("%s() = %v, want *ExistsError for %s", fn, err, exists)
		}
	case reason != "":
		var oe *OutputError
		if !errors.As(err, &oe) {
			t.Fatalf("%s() = %T (%v), want *OutputError", fn, err, err)
		}
		if !strings.Contains(oe.Reason, reason) {
			t.Errorf("%s() OutputError.Reason = %q, want it to contain %q", fn, oe.Reason, reason)
		}
		if !strings.Contains(err.Error(), oe.Path) {
			t.Errorf("%s() error = %q, want it to name the path %s", fn, err, oe.Path)
		}
	default:
		if err != nil {
			t.Errorf("%s() = %v, want nil", fn, err)
		}
	}
}

func TestWriteFilesAllOrNone(t *testing.T) {
	hookErr := errors.New("injected failure")
	tests := []struct {
		name string
		// failCommit and failSync name the file (0 or 1) whose step fails;
		// -1 means none.
		failCommit, failSync int
	}{
		{name: "second file fails to move into place", failCommit: 1, failSync: -1},
		{name: "first file fails to move into place", failCommit: 0, failSync: -1},
		{name: "second file fails to sync", failCommit: -1, failSync: 1},
		{name: "first file fails to sync", failCommit: -1, failSync: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "unrelated.txt"), []byte("keep me"))
			files := []File{
				{Path: filepath.Join(dir, "a.pfx"), Data: []byte("secret"), Mode: ModeSecret},
				{Path: filepath.Join(dir, "a.cer"), Data: []byte("public"), Mode: ModePublic},
			}
			var commits []string
			syncs := 0
			setHooks(t,
				func(path string) error {
					commits = append(commits, path)
					if tt.failCommit >= 0 && path == files[tt.failCommit].Path {
						return hookErr
					}
					return nil
				},
				func(f *os.File) error {
					n := syncs
					syncs++
					if n == tt.failSync {
						return hookErr
					}
					return f.Sync()
				})
			err := WriteFiles(files, false)
			var oe *OutputError
			if !errors.As(err, &oe) || !errors.Is(err, hookErr) {
				t.Fatalf("WriteFiles() = %v, want an *OutputError wrapping the injected failure", err)
			}
			if tt.failCommit == 1 && len(commits) != 2 {
				t.Fatalf("beforeCommit saw %q, want both files (the first was moved into place)", commits)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{"unrelated.txt"}) {
				t.Errorf("after a failed WriteFiles() the directory holds %q, want only unrelated.txt (no output, no *.tmp-* file)", got)
			}
			checkContent(t, filepath.Join(dir, "unrelated.txt"), []byte("keep me"))
		})
	}
}

func TestWriteFilesAllOrNoneAcrossDirectories(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	files := []File{
		{Path: filepath.Join(dir1, "a.pfx"), Data: []byte("secret"), Mode: ModeSecret},
		{Path: filepath.Join(dir2, "a.cer"), Data: []byte("public"), Mode: ModePublic},
	}
	hookErr := errors.New("injected failure")
	setHooks(t, func(path string) error {
		if path == files[1].Path {
			return hookErr
		}
		return nil
	}, nil)
	if err := WriteFiles(files, false); !errors.Is(err, hookErr) {
		t.Fatalf("WriteFiles() = %v, want the injected failure", err)
	}
	for _, d := range []string{dir1, dir2} {
		if got := dirNames(t, d); len(got) != 0 {
			t.Errorf("after a failed WriteFiles() %s holds %q, want nothing", d, got)
		}
	}
}
