package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is one output of WriteFiles.
type File struct {
	Path string
	Data []byte
	// Mode is the permission of the new file: 0600 for anything holding a
	// private key or password, 0644 for public certificates.
	Mode fs.FileMode
}

// Modes for the files azcert writes.
const (
	ModeSecret fs.FileMode = 0o600
	ModePublic fs.FileMode = 0o644
)

// ExistsError reports an output file that exists while overwriting was not
// allowed.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists (use --force to overwrite it)", e.Path)
}

// OutputError reports an output location that cannot be written.
type OutputError struct {
	Path   string
	Reason string
	Err    error
}

func (e *OutputError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("cannot write %s: %s: %v", e.Path, e.Reason, e.Err)
	}
	return fmt.Sprintf("cannot write %s: %s", e.Path, e.Reason)
}

func (e *OutputError) Unwrap() error { return e.Err }

// CheckWritable verifies, before any work is done, that every path can be
// written: its directory exists and is writable, it is not a directory, and
// it does not exist unless force is set. Two outputs with the same path are
// refused.
func CheckWritable(paths []string, force bool) error {
	seen := map[string]bool{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return &OutputError{Path: p, Reason: "bad path", Err: err}
		}
		if seen[abs] {
			return &OutputError{Path: p, Reason: "two outputs would have the same name"}
		}
		seen[abs] = true
		dir := filepath.Dir(p)
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &OutputError{Path: p, Reason: fmt.Sprintf("the directory %s does not exist", dir)}
		case err != nil:
			return &OutputError{Path: p, Reason: "cannot access its directory", Err: err}
		case !st.IsDir():
			return &OutputError{Path: p, Reason: fmt.Sprintf("%s is not a directory", dir)}
		case st.Mode().Perm()&0o222 == 0:
			// Refused even for root, who could write anyway: the mode says
			// the owner meant it to stay unchanged.
			return &OutputError{Path: p, Reason: fmt.Sprintf("the directory %s is read-only (mode %04o)", dir, st.Mode().Perm())}
		}
		lst, err := os.Lstat(p)
		if err == nil {
			if lst.IsDir() {
				return &OutputError{Path: p, Reason: "it is a directory"}
			}
			if !force {
				return &ExistsError{Path: p}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return &OutputError{Path: p, Reason: "cannot check it", Err: err}
		}
		if err := probeDir(dir); err != nil {
			return &OutputError{Path: p, Reason: fmt.Sprintf("the directory %s is not writable", dir), Err: unwrapPathError(err)}
		}
	}
	return nil
}

func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".azcert-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// testHooks lets tests make the final steps fail.
var testHooks struct {
	beforeCommit func(path string) error
	sync         func(f *os.File) error
}

// WriteFiles writes all files or none. Each file is written to a temporary
// file in its target directory, flushed to disk, and then moved into place.
// Without force an existing file is never replaced (the move is a hard
// link, which fails if the name is taken, so a file that appears between
// the check and the move is not lost either); a symbolic link planted at an
// output path is never followed. If anything fails, the files this call
// created are removed and no temporary file is left behind.
func WriteFiles(files []File, force bool) (err error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	if err := CheckWritable(paths, force); err != nil {
		return err
	}
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(f)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	var created []string
	// backups[path] keeps a file that force replaced, under a temporary
	// name (a hard link, or of a symbolic link the link itself), so that a
	// later failure can put it back: all or none, with force too.
	backups := map[string]string{}
	defer func() {
		if err != nil {
			for _, c := range created {
				os.Remove(c)
			}
		}
		for path, b := range backups {
			if err != nil {
				os.Rename(b, path)
			} else {
				os.Remove(b)
			}
		}
	}()
	for i, f := range files {
		if testHooks.beforeCommit != nil {
			if err := testHooks.beforeCommit(f.Path); err != nil {
				return &OutputError{Path: f.Path, Reason: "moving it into place", Err: err}
			}
		}
		if force {
			_, statErr := os.Lstat(f.Path)
			if statErr == nil {
				if b, ok := backup(f.Path); ok {
					backups[f.Path] = b
				}
			}
			if err := os.Rename(temps[i], f.Path); err != nil {
				return &OutputError{Path: f.Path, Reason: "moving it into place", Err: unwrapLinkError(err)}
			}
			// A file that did not exist before is removed again on failure;
			// one that was replaced is put back from its backup.
			if errors.Is(statErr, fs.ErrNotExist) {
				created = append(created, f.Path)
			}
			continue
		}
		if err := os.Link(temps[i], f.Path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &ExistsError{Path: f.Path}
			}
			// File systems without hard links: fall back to a checked rename.
			if _, serr := os.Lstat(f.Path); serr == nil {
				return &ExistsError{Path: f.Path}
			}
			if err := os.Rename(temps[i], f.Path); err != nil {
				return &OutputError{Path: f.Path, Reason: "moving it into place", Err: unwrapLinkError(err)}
			}
		}
		created = append(created, f.Path)
	}
	for _, dir := range uniqueDirs(paths) {
		syncDir(dir)
	}
	return nil
}

// backup hard-links path (not following a symbolic link) to a new
// temporary name in its directory. It reports false where that cannot be
// done (a file system without hard links); the file is then replaced
// without a way back, as rename alone would.
func backup(path string) (string, bool) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 3 {
		t, err := os.CreateTemp(dir, "."+base+".bak-*")
		if err != nil {
			return "", false
		}
		name := t.Name()
		t.Close()
		os.Remove(name)
		if err := os.Link(path, name); err == nil {
			return name, true
		} else if !errors.Is(err, fs.ErrExist) {
			return "", false
		}
	}
	return "", false
}

func writeTemp(f File) (string, error) {
	dir, base := filepath.Split(f.Path)
	if dir == "" {
		dir = "."
	}
	t, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", &OutputError{Path: f.Path, Reason: "creating a temporary file", Err: unwrapPathError(err)}
	}
	name := t.Name()
	fail := func(reason string, err error) (string, error) {
		t.Close()
		os.Remove(name)
		return "", &OutputError{Path: f.Path, Reason: reason, Err: unwrapPathError(err)}
	}
	mode := f.Mode
	if mode == 0 {
		mode = ModeSecret
	}
	// Chmod is not subject to the umask, so the mode is exact.
	if err := t.Chmod(mode); err != nil {
		return fail("setting its mode", err)
	}
	if _, err := t.Write(f.Data); err != nil {
		return fail("writing", err)
	}
	sync := (*os.File).Sync
	if testHooks.sync != nil {
		sync = testHooks.sync
	}
	if err := sync(t); err != nil {
		return fail("flushing to disk", err)
	}
	if err := t.Close(); err != nil {
		return fail("closing", err)
	}
	return name, nil
}

func unwrapLinkError(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func uniqueDirs(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		d := filepath.Dir(p)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// syncDir makes the new directory entries durable; failure only weakens
// durability after a crash, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
