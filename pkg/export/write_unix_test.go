//go:build unix

package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() {
		t.Errorf("%s has type %v, want a regular file", filepath.Base(path), st.Mode().Type())
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), got, want)
	}
}

// withUmask runs fn with the process umask set to mask. The umask is
// process-wide, so no test in this package runs in parallel.
func withUmask(mask int, fn func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

func TestWriteFilesModes(t *testing.T) {
	for _, mask := range []int{0o077, 0o022, 0o000, 0o777} {
		t.Run(fmt.Sprintf("umask %04o", mask), func(t *testing.T) {
			dir := t.TempDir()
			files := []File{
				{Path: filepath.Join(dir, "key.pfx"), Data: []byte("secret"), Mode: ModeSecret},
				{Path: filepath.Join(dir, "cert.cer"), Data: []byte("public"), Mode: ModePublic},
				{Path: filepath.Join(dir, "default"), Data: []byte("no mode given")},
			}
			var err error
			withUmask(mask, func() { err = WriteFiles(files, false) })
			if err != nil {
				t.Fatalf("WriteFiles() with umask %04o error = %v", mask, err)
			}
			checkMode(t, files[0].Path, 0o600)
			checkMode(t, files[1].Path, 0o644)
			checkMode(t, files[2].Path, 0o600)
		})
	}
}

func TestWriteFilesForceSetsMode(t *testing.T) {
	dir := t.TempDir()
	loose := filepath.Join(dir, "key.pem")
	writeFile(t, loose, []byte("old"))
	if err := os.Chmod(loose, 0o666); err != nil {
		t.Fatal(err)
	}
	tight := filepath.Join(dir, "cert.pem")
	writeFile(t, tight, []byte("old"))
	if err := os.Chmod(tight, 0o400); err != nil {
		t.Fatal(err)
	}
	var err error
	withUmask(0, func() {
		err = WriteFiles([]File{
			{Path: loose, Data: []byte("new key"), Mode: ModeSecret},
			{Path: tight, Data: []byte("new cert"), Mode: ModePublic},
		}, true)
	})
	if err != nil {
		t.Fatalf("WriteFiles(force) error = %v", err)
	}
	// The new file does not inherit the old file's looser mode.
	checkMode(t, loose, 0o600)
	checkMode(t, tight, 0o644)
	checkContent(t, loose, []byte("new key"))
	checkContent(t, tight, []byte("new cert"))
}

func TestWriteFilesSymlink(t *testing.T) {
	tests := []struct {
		name     string
		force    bool
		dangling bool
	}{
		{name: "refused without force", force: false},
		{name: "replaced with force", force: true},
		{name: "dangling refused without force", force: false, dangling: true},
		{name: "dangling replaced with force", force: true, dangling: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, elsewhere := t.TempDir(), t.TempDir()
			target := filepath.Join(elsewhere, "target")
			targetData := []byte("the symlink's target, which must not change")
			if !tt.dangling {
				writeFile(t, target, targetData)
			}
			out := filepath.Join(dir, "key.pem")
			if err := os.Symlink(target, out); err != nil {
				t.Fatal(err)
			}
			err := WriteFiles([]File{{Path: out, Data: []byte("new key"), Mode: ModeSecret}}, tt.force)

			if tt.dangling {
				if _, serr := os.Lstat(target); !errors.Is(serr, fs.ErrNotExist) {
					t.Errorf("WriteFiles() created the dangling symlink's target (%v)", serr)
				}
			} else {
				checkContent(t, target, targetData)
				checkMode(t, target, 0o644)
			}
			if !tt.force {
				var ee *ExistsError
				if !errors.As(err, &ee) || ee.Path != out {
					t.Fatalf("WriteFiles(symlink, force=false) = %v, want *ExistsError for %s", err, out)
				}
				if dest, lerr := os.Readlink(out); lerr != nil || dest != target {
					t.Errorf("after a refused WriteFiles() the symlink reads %q, %v, want %q", dest, lerr, target)
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteFiles(symlink, force=true) error = %v", err)
			}
			checkMode(t, out, 0o600) // a regular file now, not a link
			checkContent(t, out, []byte("new key"))
			if got := dirNames(t, dir); !slices.Equal(got, []string{"key.pem"}) {
				t.Errorf("directory holds %q, want only key.pem", got)
			}
		})
	}
}

// A symbolic link to a directory is replaced with force like any other
// link; the directory it pointed to is left alone.
func TestWriteFilesSymlinkToDirectory(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "inside"), []byte("keep"))
	out := filepath.Join(dir, "key.pem")
	if err := os.Symlink(elsewhere, out); err != nil {
		t.Fatal(err)
	}
	err := WriteFiles([]File{{Path: out, Data: []byte("new key"), Mode: ModeSecret}}, false)
	var ee *ExistsError
	if !errors.As(err, &ee) {
		t.Errorf("WriteFiles(link to a directory, force=false) = %v, want *ExistsError", err)
	}
	if err := WriteFiles([]File{{Path: out, Data: []byte("new key"), Mode: ModeSecret}}, true); err != nil {
		t.Fatalf("WriteFiles(link to a directory, force=true) error = %v", err)
	}
	checkMode(t, out, 0o600)
	checkContent(t, out, []byte("new key"))
	if got := dirNames(t, elsewhere); !slices.Equal(got, []string{"inside"}) {
		t.Errorf("the linked directory holds %q, want only its old file", got)
	}
	checkContent(t, filepath.Join(elsewhere, "inside"), []byte("keep"))
}

func TestWriteFilesReadOnlyDirectory(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	path := filepath.Join(ro, "key.pfx")
	for _, force := range []bool{false, true} {
		if err := CheckWritable([]string{path}, force); !isOutputError(err, "read-only") {
			t.Errorf("CheckWritable(%s in a 0555 directory, force=%v) = %v, want *OutputError saying read-only", path, force, err)
		}
		if err := WriteFiles([]File{{Path: path, Data: []byte("x"), Mode: ModeSecret}}, force); !isOutputError(err, "read-only") {
			t.Errorf("WriteFiles(%s in a 0555 directory, force=%v) = %v, want *OutputError saying read-only", path, force, err)
		}
	}
	if got := dirNames(t, ro); len(got) != 0 {
		t.Errorf("the read-only directory holds %q, want nothing", got)
	}
}

func isOutputError(err error, reason string) bool {
	var oe *OutputError
	return errors.As(err, &oe) && strings.Contains(oe.Reason, reason)
}
