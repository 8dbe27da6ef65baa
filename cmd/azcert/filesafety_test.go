//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// The file-safety guarantees, checked through the command: modes that do
// not depend on the umask, no output written through a planted symbolic
// link, --force as the only way to replace a file, and all-or-none writes.
// The umask is process-wide, so none of these tests runs in parallel.

func withCLIUmask(mask int, fn func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want a regular file with %04o", filepath.Base(path), st.Mode(), want)
	}
}

// TestKeyFileModesWhateverTheUmask writes every kind of file azcert makes
// under four umasks: files holding a key or a password are 0600, public
// certificates 0644.
func TestKeyFileModesWhateverTheUmask(t *testing.T) {
	fx := reliabilityFixtures(t)
	env := map[string]string{"RELPW": relPassword}
	for _, mask := range []int{0o000, 0o022, 0o077, 0o777} {
		t.Run(fmt.Sprintf("umask %04o", mask), func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			copyFixture("site.pfx", "in.pfx")(t, fx)
			var rs []invocation
			withCLIUmask(mask, func() {
				rs = append(rs,
					invoke(t, []string{"new", "contoso.net", "--pem", "--password", "generate", "-q"}, nil, env, nil),
					invoke(t, []string{"export", "--pem", fx.path("site.pfx"), "--in-password", "env:RELPW", "--out", "bundle.pem"}, nil, env, nil),
					invoke(t, []string{"export", "--pem", "in.pfx", "--in-password", "env:RELPW"}, nil, env, nil),
					invoke(t, []string{"export", "--cer", fx.path("site.pfx"), "--in-password", "env:RELPW", "--out", "site.cer"}, nil, env, nil),
					invoke(t, []string{"export", "--pfx", fx.path("site.crt.pem"), "--key", fx.path("site.key.pem"), "--password", "env:RELPW", "--out", "again.pfx"}, nil, env, nil),
				)
			})
			for i, r := range rs {
				if r.code != 0 {
					t.Fatalf("command %d: exit %d: %s", i, r.code, r.stderr)
				}
			}
			for name, mode := range map[string]fs.FileMode{
				"contoso.net.pfx": 0o600, "contoso.net.key.pem": 0o600, "contoso.net.pfx.password": 0o600,
				"contoso.net.cer": 0o644, "contoso.net.crt.pem": 0o644,
				"bundle.pem": 0o600, // certificate and key in one file
				"in.crt.pem": 0o644, "in.key.pem": 0o600, "site.cer": 0o644, "again.pfx": 0o600,
			} {
				wantMode(t, name, mode)
			}
			assertNoTemporaries(t, wd)
		})
	}
}

// TestForceIsTheOnlyWayToOverwrite: every command that writes refuses an
// existing output (exit 3, the file untouched, nothing else written), and
// replaces it with --force, with the mode of what it writes (a key file
// that replaces a 0644 file is 0600).
func TestForceIsTheOnlyWayToOverwrite(t *testing.T) {
	fx := reliabilityFixtures(t)
	env := map[string]string{"RELPW": relPassword}
	cases := []struct {
		name   string
		args   []string
		target string
		mode   fs.FileMode
	}{
		{"new .pfx", []string{"new", "contoso.net", "--password", "env:RELPW"}, "contoso.net.pfx", 0o600},
		{"new .cer", []string{"new", "contoso.net", "--password", "env:RELPW"}, "contoso.net.cer", 0o644},
		{"new key PEM", []string{"new", "contoso.net", "--pem", "--password", "env:RELPW"}, "contoso.net.key.pem", 0o600},
		{"new password file", []string{"new", "contoso.net", "--password", "generate"}, "contoso.net.pfx.password", 0o600},
		{"export --cer", []string{"export", "--cer", fx.path("site.pfx"), "--in-password", "env:RELPW", "--out", "x.cer"}, "x.cer", 0o644},
		{"export --pem", []string{"export", "--pem", "in.pfx", "--in-password", "env:RELPW"}, "in.key.pem", 0o600},
		{"export --pfx", []string{"export", "--pfx", fx.path("site.crt.pem"), "--key", fx.path("site.key.pem"), "--password", "env:RELPW", "--out", "x.pfx"}, "x.pfx", 0o600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			copyFixture("site.pfx", "in.pfx")(t, fx)
			if err := os.WriteFile(tc.target, []byte("precious\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := dirManifest(t, wd)
			r := invoke(t, tc.args, nil, env, nil)
			if r.code != cmdutil.ExitBadInput || !strings.Contains(r.stderr, tc.target+" already exists (use --force to overwrite it)") {
				t.Errorf("without --force: exit %d, stderr %q; want 3 and the refusal", r.code, r.stderr)
			}
			if after := dirManifest(t, wd); after != before {
				t.Errorf("without --force the directory changed:\n%s", after)
			}
			r = invoke(t, append(tc.args, "--force"), nil, env, nil)
			if r.code != 0 {
				t.Fatalf("with --force: exit %d: %s", r.code, r.stderr)
			}
			if data, _ := os.ReadFile(tc.target); string(data) == "precious\n" {
				t.Errorf("with --force %s was not replaced", tc.target)
			}
			wantMode(t, tc.target, tc.mode)
			assertNoTemporaries(t, wd)
		})
	}
}

// TestNoOutputFollowsASymlink plants symbolic links where outputs go, to an
// existing file elsewhere and to a path that does not exist: without
// --force the command refuses (exit 3) before generating anything; with
// --force the link itself is replaced by a regular file, and neither the
// file it pointed to nor the missing target is written.
func TestNoOutputFollowsASymlink(t *testing.T) {
	fx := reliabilityFixtures(t)
	env := map[string]string{"RELPW": relPassword}
	for _, tc := range []struct {
		name string
		args []string
		link string
		mode fs.FileMode
	}{
		{"new .pfx", []string{"new", "contoso.net", "--password", "env:RELPW"}, "contoso.net.pfx", 0o600},
		{"new key PEM", []string{"new", "contoso.net", "--pem", "--password", "env:RELPW"}, "contoso.net.key.pem", 0o600},
		{"export key PEM", []string{"export", "--pem", "in.pfx", "--in-password", "env:RELPW"}, "in.key.pem", 0o600},
		{"export .cer", []string{"export", "--cer", fx.path("site.cer"), "--out", "x.cer"}, "x.cer", 0o644},
	} {
		for _, dangling := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s dangling=%v", tc.name, dangling), func(t *testing.T) {
				wd := t.TempDir()
				t.Chdir(wd)
				copyFixture("site.pfx", "in.pfx")(t, fx)
				elsewhere := t.TempDir()
				victim := filepath.Join(elsewhere, "victim")
				if !dangling {
					if err := os.WriteFile(victim, []byte("the attacker wants this overwritten\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Symlink(victim, tc.link); err != nil {
					t.Fatal(err)
				}
				victimBefore := dirManifest(t, elsewhere)
				before := dirManifest(t, wd)
				start := time.Now()
				r := invoke(t, tc.args, nil, env, nil)
				if r.code != cmdutil.ExitBadInput || !strings.Contains(r.stderr, tc.link+" already exists") {
					t.Errorf("without --force: exit %d, stderr %q; want 3", r.code, r.stderr)
				}
				if strings.HasPrefix(tc.name, "new") && time.Since(start) > 2*time.Second {
					t.Errorf("the refusal took %v: was a key generated first?", time.Since(start))
				}
				if after := dirManifest(t, wd); after != before {
					t.Errorf("without --force the directory changed:\n%s", after)
				}
				r = invoke(t, append(tc.args, "--force"), nil, env, nil)
				if r.code != 0 {
					t.Fatalf("with --force: exit %d: %s", r.code, r.stderr)
				}
				wantMode(t, tc.link, tc.mode)
				if after := dirManifest(t, elsewhere); after != victimBefore {
					t.Errorf("the link's target was written through:\nbefore:\n%s\nafter:\n%s", victimBefore, after)
				}
				assertNoTemporaries(t, wd)
			})
		}
	}
}

// TestWritesAreAllOrNone races the command: as soon as the temporary file
// of the second output (in.key.pem of export --pem in.pfx) appears, the test
// creates that output itself. Whoever wins, the outcome is all or none:
// either azcert wrote both files (the test's create failed), or it refused
// with exit 3, left the test's file as it was, removed the certificate PEM
// it had already moved into place, and left no temporary file.
func TestWritesAreAllOrNone(t *testing.T) {
	fx := reliabilityFixtures(t)
	env := map[string]string{"RELPW": relPassword}
	won, lost := 0, 0
	deadline := time.Now().Add(3 * time.Second)
	for attempt := 0; attempt < 100 && won < 5 && time.Now().Before(deadline); attempt++ {
		wd := t.TempDir()
		t.Chdir(wd)
		copyFixture("site.pfx", "in.pfx")(t, fx)
		var planted atomic.Bool
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if m, _ := filepath.Glob(filepath.Join(wd, ".in.key.pem.tmp-*")); len(m) > 0 {
					fh, err := os.OpenFile(filepath.Join(wd, "in.key.pem"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
					if err == nil {
						fh.WriteString("planted\n")
						fh.Close()
						planted.Store(true)
					}
					return
				}
			}
		}()
		r := invoke(t, []string{"export", "--pem", "in.pfx", "--in-password", "env:RELPW"}, nil, env, nil)
		close(stop)
		<-done
		names := dirNames(t, wd)
		switch {
		case planted.Load():
			won++
			key, _ := os.ReadFile(filepath.Join(wd, "in.key.pem"))
			if r.code != cmdutil.ExitBadInput || strings.Join(names, " ") != "in.key.pem in.pfx" || string(key) != "planted\n" {
				t.Fatalf("attempt %d: the file planted before the commit: exit %d, files %v, key %q; want 3, only the planted file, untouched", attempt, r.code, names, key)
			}
		default:
			lost++
			if r.code != 0 || strings.Join(names, " ") != "in.crt.pem in.key.pem in.pfx" {
				t.Fatalf("attempt %d: exit %d, files %v; want 0 and both files", attempt, r.code, names)
			}
		}
	}
	t.Logf("the planted file beat the commit %d times; azcert wrote both files %d times", won, lost)
	if won == 0 {
		t.Skip("the race was never won on this machine; all-or-none was not exercised (the package test TestWriteFilesAllOrNone covers it with hooks)")
	}
}

// assertNoTemporaries fails if a temporary or probe file of azcert's is
// left in dir.
func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	for _, n := range dirNames(t, dir) {
		if strings.Contains(n, ".tmp-") || strings.HasPrefix(n, ".azcert-probe-") {
			t.Errorf("stray temporary file %s", n)
		}
	}
}
