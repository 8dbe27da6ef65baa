package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/export"
)

// handshakeMarks holds, per script, the emulator's handshake count at the
// last emuhandshakes.
var handshakeMarks sync.Map // *testscript.TestScript -> int

// emuhandshakes [MIN] MAX asserts how many TLS handshakes the script's
// emulator served since the previous emuhandshakes (or since it started):
// at most MAX, and at least MIN (default 1 when MIN is omitted: a command
// that should have connected did). Each call starts a new count.
func cmdEmuHandshakes(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: emuhandshakes [MIN] MAX")
	}
	lo, hi := 1, 0
	var err error
	if len(args) == 2 {
		lo, err = strconv.Atoi(args[0])
		ts.Check(err)
	}
	hi, err = strconv.Atoi(args[len(args)-1])
	ts.Check(err)
	total := scriptEmulator(ts).Handshakes()
	since := total
	if v, ok := handshakeMarks.Load(ts); ok {
		since -= v.(int)
	}
	handshakeMarks.Store(ts, total)
	if (since >= lo && since <= hi) == neg {
		ts.Fatalf("the emulator served %d TLS handshakes since the last check, want %sbetween %d and %d", since, map[bool]string{true: "not ", false: ""}[neg], lo, hi)
	}
}

// cmdEmuConns checks the most connections the emulator had open at once
// since the last check (or the start): emuconns MAX. It then starts the
// count again.
func cmdEmuConns(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: emuconns MAX")
	}
	hi, err := strconv.Atoi(args[0])
	ts.Check(err)
	srv := scriptEmulator(ts)
	peak := srv.PeakConnections()
	srv.ResetPeakConnections()
	if (peak <= hi) == neg {
		ts.Fatalf("the emulator had %d connections open at once since the last check, want %sat most %d", peak, map[bool]string{true: "more than ", false: ""}[neg], hi)
	}
}

// uploadFixture is a management certificate with its .pfx and n further
// .cer files, all on one RSA key (generating a key per certificate would
// make the test slow; the thumbprints differ all the same), and an emulator
// that trusts the first.
type uploadFixture struct {
	dir   string
	srv   *azure.Emulator
	files []string
	thumb []string
	args  []string
}

func newUploadFixture(t *testing.T, n int, cfg azure.Config) *uploadFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(name string) *certgen.Result {
		names, err := certgen.ParseNames([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		res, err := certgen.Sign(certgen.Request{Names: names, Purpose: certgen.PurposeManagement}, key)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	fx := &uploadFixture{dir: t.TempDir()}
	admin := sign("azcert-mgmt")
	pfx, err := export.EncodePFX(key, admin.Cert, nil, export.PFXOptions{Password: "up-Pa55"})
	if err != nil {
		t.Fatal(err)
	}
	auth := filepath.Join(fx.dir, "mgmt.pfx")
	if err := os.WriteFile(auth, pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		res := sign(fmt.Sprintf("deploy-%02d", i))
		path := filepath.Join(fx.dir, fmt.Sprintf("deploy-%02d.cer", i))
		if err := os.WriteFile(path, res.DER, 0o644); err != nil {
			t.Fatal(err)
		}
		fx.files = append(fx.files, path)
		fx.thumb = append(fx.thumb, export.FormatThumbprint(export.Thumbprint(res.DER, export.SHA1), export.SHA1, export.FormatAzure))
	}
	cfg.Trust = append(cfg.Trust, admin.Cert)
	fx.srv = emulatortest.NewServer(t, cfg)
	ca := filepath.Join(fx.dir, "ca.pem")
	if err := os.WriteFile(ca, fx.srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	fx.args = []string{"--endpoint", fx.srv.URL, "--ca-file", ca, "--subscription", fx.srv.Subscription,
		"--auth-cert", auth, "--auth-password", "env:AZCERT_AUTH_PW"}
	return fx
}

func (fx *uploadFixture) upload(t *testing.T, extra ...string) (code int, stdout, stderr string) {
	t.Helper()
	f, out, errOut := testFactory(t, "", nil, map[string]string{"AZCERT_AUTH_PW": "up-Pa55"})
	args := append(append(append([]string{"upload"}, fx.files...), fx.args...), extra...)
	code = run(args, f)
	return code, out.String(), errOut.String()
}

// addRequests counts the Add Management Certificate requests per
// thumbprint the emulator received.
func addRequests(srv *azure.Emulator) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/certificates") {
			body := string(r.Body)
			i := strings.Index(body, "<SubscriptionCertificateThumbprint>")
			if i < 0 {
				n["?"]++
				continue
			}
			n[body[i+len("<SubscriptionCertificateThumbprint>"):][:40]]++
		}
	}
	return n
}

// wantLines checks that stdout has one line per certificate, in argument
// order, each with status.
func (fx *uploadFixture) wantLines(t *testing.T, stdout, status string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(fx.files) {
		t.Fatalf("%d lines of output, want %d:\n%s", len(lines), len(fx.files), stdout)
	}
	for i, line := range lines {
		want := fmt.Sprintf("%s  %s  %s (subscription %s)", fx.thumb[i], filepath.Base(fx.files[i]), status, fx.srv.Subscription)
		if line != want {
			t.Errorf("line %d = %q, want %q", i+1, line, want)
		}
	}
}

// TestUploadParallelReusesConnections uploads 20 certificates with
// --parallel 4 and with --parallel 1: the results come in argument order,
// each certificate is added exactly once, never more connections are open
// at once than --parallel allows, and connections are reused (HTTP
// keep-alive): the 20 to 40 requests of a run cost a handful of TLS
// handshakes, not one each. The handshake bound is loose on purpose: Go's
// transport does not reuse a connection whose request body it has not
// finished writing within 50 ms of the answer (a loaded machine), and dials
// again; the bound on connections at once holds regardless.
func TestUploadParallelReusesConnections(t *testing.T) {
	for _, tt := range []struct {
		parallel       string
		minHS, maxHS   int // handshakes per run
		maxOpen        int // connections at once
		defaultFlag    bool
		wantSequential bool
	}{
		{parallel: "4", minHS: 1, maxHS: 8, maxOpen: 4},
		{parallel: "1", minHS: 1, maxHS: 3, maxOpen: 1, wantSequential: true},
		{parallel: "", minHS: 1, maxHS: 8, maxOpen: 4, defaultFlag: true}, // the default is 4
	} {
		t.Run("parallel="+tt.parallel, func(t *testing.T) {
			fx := newUploadFixture(t, 20, azure.Config{})
			var extra []string
			if !tt.defaultFlag {
				extra = []string{"--parallel", tt.parallel}
			}
			code, stdout, stderr := fx.upload(t, extra...)
			if code != 0 {
				t.Fatalf("upload exited %d: %s", code, stderr)
			}
			fx.wantLines(t, stdout, "registered")
			if hs := fx.srv.Handshakes(); hs < tt.minHS || hs > tt.maxHS {
				t.Errorf("%d TLS handshakes, want %d to %d", hs, tt.minHS, tt.maxHS)
			}
			if open := fx.srv.PeakConnections(); open > tt.maxOpen {
				t.Errorf("%d connections open at once, want at most %d", open, tt.maxOpen)
			}
			adds := addRequests(fx.srv)
			for i, tp := range fx.thumb {
				if adds[tp] != 1 {
					t.Errorf("%s (%s) was added %d times, want once", fx.files[i], tp, adds[tp])
				}
			}
			if got := len(fx.srv.ASM.ManagementCertificates()); got != 21 {
				t.Errorf("the emulator holds %d management certificates, want 21", got)
			}
			if tt.wantSequential {
				var order []string
				for _, r := range fx.srv.Requests() {
					if r.Method == http.MethodPost {
						b := string(r.Body)
						i := strings.Index(b, "<SubscriptionCertificateThumbprint>") + len("<SubscriptionCertificateThumbprint>")
						order = append(order, b[i:i+40])
					}
				}
				if strings.Join(order, ",") != strings.Join(fx.thumb, ",") {
					t.Errorf("--parallel 1 sent the certificates out of argument order")
				}
			}

			// A rerun is harmless: every one already registered, none added
			// twice.
			hs := fx.srv.Handshakes()
			fx.srv.ResetPeakConnections()
			code, stdout, stderr = fx.upload(t, extra...)
			if code != 0 {
				t.Fatalf("rerun exited %d: %s", code, stderr)
			}
			fx.wantLines(t, stdout, "already registered")
			if got := len(fx.srv.ASM.ManagementCertificates()); got != 21 {
				t.Errorf("after the rerun the emulator holds %d management certificates, want 21", got)
			}
			if d := fx.srv.Handshakes() - hs; d > tt.maxHS {
				t.Errorf("the rerun made %d TLS handshakes, want at most %d", d, tt.maxHS)
			}
			if open := fx.srv.PeakConnections(); open > tt.maxOpen {
				t.Errorf("the rerun had %d connections open at once, want at most %d", open, tt.maxOpen)
			}
		})
	}
}

// TestUploadParallelFailure: when the subscription's limit refuses an
// upload, the exit code is Azure's (5), and what is printed is in argument
// order. With --parallel 1 nothing is sent after the failure.
func TestUploadParallelFailure(t *testing.T) {
	for _, parallel := range []string{"1", "4"} {
		t.Run("parallel="+parallel, func(t *testing.T) {
			// The limit of 6 holds the admin certificate and 5 more.
			fx := newUploadFixture(t, 12, azure.Config{MaxManagementCerts: 6})
			code, stdout, stderr := fx.upload(t, "--parallel", parallel)
			if code != cmdutil.ExitAzure {
				t.Fatalf("exit %d, want %d; stderr %s", code, cmdutil.ExitAzure, stderr)
			}
			if !strings.Contains(stderr, "limit") {
				t.Errorf("stderr does not explain the limit: %s", stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != 5 {
				t.Errorf("%d lines printed, want the 5 that were registered:\n%s", len(lines), stdout)
			}
			// The lines follow argument order.
			last := -1
			for _, line := range lines {
				i := -1
				for j, tp := range fx.thumb {
					if strings.HasPrefix(line, tp+"  ") {
						i = j
					}
				}
				if i <= last {
					t.Errorf("line %q is out of argument order:\n%s", line, stdout)
				}
				last = i
			}
			if parallel == "1" {
				// One failed add (and the Get that checks for a duplicate),
				// nothing after it.
				adds := addRequests(fx.srv)
				if total := len(adds); total != 6 {
					t.Errorf("%d certificates were sent, want 6 (5 registered, 1 refused, none after)", total)
				}
				for i := 0; i < 5; i++ {
					if !strings.HasPrefix(lines[i], fx.thumb[i]) {
						t.Errorf("line %d is %q, want certificate %d", i+1, lines[i], i+1)
					}
				}
			}
		})
	}
}

func TestUploadParallelFlag(t *testing.T) {
	for _, v := range []string{"0", "-1", "17"} {
		f, _, errOut := testFactory(t, "", nil, nil)
		if code := run([]string{"upload", "x.cer", "--parallel", v}, f); code != cmdutil.ExitUsage {
			t.Errorf("--parallel %s: exit %d, want %d (%s)", v, code, cmdutil.ExitUsage, errOut)
		}
		if !strings.Contains(errOut.String(), "--parallel must be between 1 and 16") {
			t.Errorf("--parallel %s: stderr %q", v, errOut)
		}
	}
}
