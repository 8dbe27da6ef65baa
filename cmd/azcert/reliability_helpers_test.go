package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

// This file holds what the reliability tests (bad inputs, faults, file
// safety, secret hygiene) share: hostile input files, an emulator, a
// directory manifest, and a runner that measures each invocation.

// relPassword is the recognisable password every reliability fixture uses;
// the secret-hygiene test looks for it in all output.
const relPassword = "Zq7-RELIABILITY-Pa55-xK2v"

// relFixtures are input files made once per test binary, in a directory
// of their own that no test writes to.
type relFixtures struct {
	dir string
	// mgmt is a management certificate (mgmt.pfx with relPassword, mgmt.cer),
	// site a service certificate for contoso.net (site.pfx, site.cer,
	// site.key.pem, site.crt.pem).
	mgmtCert *x509.Certificate
	// keyMarker is a distinctive run of the base64 of site.key.pem's PKCS#8
	// body, which no output may contain.
	keyMarker string
	// mgmtKeyMarker is the same for the management certificate's key.
	mgmtKeyMarker string
}

func (fx *relFixtures) path(name string) string { return filepath.Join(fx.dir, name) }

// relMaterial is what the fixtures are made of, made once per test binary
// (key generation is the slow part) and written afresh into each test's
// own directory.
type relMaterial struct {
	files                    map[string][]byte
	modes                    map[string]os.FileMode
	mgmtCert                 *x509.Certificate
	keyMarker, mgmtKeyMarker string
}

var relOnce = sync.OnceValues(makeRelMaterial)

// pkgDir is the package directory, the working directory tests start in.
var pkgDir, _ = os.Getwd()

// reliabilityFixtures writes the fixtures into a new directory of the test's.
func reliabilityFixtures(t *testing.T) *relFixtures {
	t.Helper()
	m, err := relOnce()
	if err != nil {
		t.Fatalf("making the reliability fixtures: %v", err)
	}
	dir := t.TempDir()
	for name, data := range m.files {
		if err := os.WriteFile(filepath.Join(dir, name), data, m.modes[name]); err != nil {
			t.Fatal(err)
		}
	}
	// 50 MB: a sparse file, so making it costs nothing.
	if err := makeSparse(filepath.Join(dir, "big50.bin"), 50<<20); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &relFixtures{dir: dir, mgmtCert: m.mgmtCert, keyMarker: m.keyMarker, mgmtKeyMarker: m.mgmtKeyMarker}
}

func makeRelMaterial() (*relMaterial, error) {
	dir, err := os.MkdirTemp("", "azcert-reliability-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fx, err := makeRelFixtures(dir)
	if err != nil {
		return nil, err
	}
	m := &relMaterial{files: map[string][]byte{}, modes: map[string]os.FileMode{},
		mgmtCert: fx.mgmtCert, keyMarker: fx.keyMarker, mgmtKeyMarker: fx.mgmtKeyMarker}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if m.files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
		m.modes[e.Name()] = info.Mode().Perm()
	}
	return m, nil
}

func makeRelFixtures(dir string) (*relFixtures, error) {
	fx := &relFixtures{dir: dir}
	runNew := func(args ...string) error {
		var out, errOut bytes.Buffer
		f := &cmdutil.Factory{
			IO:  &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ColorOff: true},
			Now: time.Now,
			LookupEnv: func(k string) (string, bool) {
				if k == "RELPW" {
					return relPassword, true
				}
				return "", false
			},
		}
		if code := run(append(args, "--out-dir", dir, "--password", "env:RELPW", "-q"), f); code != 0 {
			return fmt.Errorf("azcert %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return nil
	}
	if err := runNew("new", "azcert-mgmt", "--for", "management", "--name", "mgmt"); err != nil {
		return nil, err
	}
	if err := runNew("new", "contoso.net", "www.contoso.net", "--name", "site", "--pem"); err != nil {
		return nil, err
	}
	mgmtCER, err := os.ReadFile(filepath.Join(dir, "mgmt.cer"))
	if err != nil {
		return nil, err
	}
	if fx.mgmtCert, err = x509.ParseCertificate(mgmtCER); err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "site.key.pem"))
	if err != nil {
		return nil, err
	}
	fx.keyMarker, err = keyMarker(keyPEM)
	if err != nil {
		return nil, err
	}
	mgmtKey, _, err := gopkcs12.Decode(mustRead(dir, "mgmt.pfx"), relPassword)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(mgmtKey)
	if err != nil {
		return nil, err
	}
	if fx.mgmtKeyMarker, err = keyMarker(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}

	siteCER := mustRead(dir, "site.cer")
	siteCert, err := x509.ParseCertificate(siteCER)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: siteCER})
	siteKey, _, err := gopkcs12.Decode(mustRead(dir, "site.pfx"), relPassword)
	if err != nil {
		return nil, err
	}

	files := map[string][]byte{
		// 10 000 PEM blocks of a real certificate (about 13 MB, under the
		// 16 MB input limit, so it is read and the block limit applies).
		"pem10k.pem":             bytes.Repeat(certPEM, 10000),
		"random.bin":             pseudoRandom(4096),
		"truncated.cer":          siteCER[:300],
		"truncated.pfx":          mustRead(dir, "site.pfx")[:1000],
		"nested.publishsettings": nestedXML(`<?xml version="1.0" encoding="utf-8"?><PublishData><PublishProfile SchemaVersion="2.0" PublishMethod="AzureServiceManagementAPI">`, 1_000_000),
		"laughs.publishsettings": billionLaughs("PublishData", `<PublishProfile SchemaVersion="2.0"><Subscription Id="8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36" Name="&lol9;" ManagementCertificate="&lol9;"/></PublishProfile>`),
		"nested.cscfg":           nestedXML(`<?xml version="1.0" encoding="utf-8"?><ServiceConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"><Role name="WebRole1">`, 1_000_000),
		"laughs.cscfg":           billionLaughs(`ServiceConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"`, `<Role name="&lol9;"><Certificates><Certificate name="SSL" thumbprint="&lol9;"/></Certificates></Role>`),
		"notxml.cscfg":           []byte("this is not XML\n"),
		"state-corrupt.json":     []byte(`{"version":1,"subscription":"8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36","managementCertificates":[{"thumbprint":"00","data":"MAA="}]}`),
		"config-broken.yaml":     []byte("output: [json\n"),
		"site.crt.only.pem":      certPEM,
		"other.key.pem":          nil, // filled below
	}
	cscfgFixture, err := os.ReadFile(filepath.Join(pkgDir, "..", "..", "pkg", "cscfg", "testdata", "ServiceConfiguration.Cloud.cscfg"))
	if err != nil {
		return nil, err
	}
	files["site.cscfg"] = cscfgFixture

	// A .pfx that asks for 8 388 607 key-derivation iterations (more than
	// export.MaxIterations): encoded with 32 768 (DER 02 03 00 80 00) and
	// patched to 02 03 7F FF FF, which keeps every length.
	slow, err := gopkcs12.LegacyDES.WithIterations(32768).Encode(siteKey, siteCert, nil, relPassword)
	if err != nil {
		return nil, err
	}
	files["huge-iterations.pfx"] = bytes.ReplaceAll(slow, []byte{0x02, 0x03, 0x00, 0x80, 0x00}, []byte{0x02, 0x03, 0x7f, 0xff, 0xff})

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	files["other.key.pem"] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})

	// A 1024-bit certificate and an expired one, made directly with crypto/x509.
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return nil, err
	}
	for name, tc := range map[string]struct {
		key      *rsa.PrivateKey
		from, to time.Time
	}{
		"weak1024.cer": {weak, time.Now().Add(-time.Hour), time.Now().Add(365 * 24 * time.Hour)},
		"expired.cer":  {other, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "contoso.net"}, DNSNames: []string{"contoso.net"},
			NotBefore: tc.from, NotAfter: tc.to, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &tc.key.PublicKey, tc.key)
		if err != nil {
			return nil, err
		}
		files[name] = der
	}
	// An ECDSA root certificate authority.
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ecTmpl := &x509.Certificate{SerialNumber: big.NewInt(4343), Subject: pkix.Name{CommonName: "EC Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	if files["ec-root.cer"], err = x509.CreateCertificate(rand.Reader, ecTmpl, ecTmpl, &ecKey.PublicKey, ecKey); err != nil {
		return nil, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	return fx, nil
}

func mustRead(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	return b
}

// keyMarker returns 40 base64 characters of a PEM private key's body, from
// one line in the middle: part of the key itself, not of its fixed header.
func keyMarker(keyPEM []byte) (string, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return "", fmt.Errorf("no PKCS#8 PEM key")
	}
	lines := strings.Split(strings.TrimSpace(string(keyPEM)), "\n")
	if len(lines) < 12 {
		return "", fmt.Errorf("key too short")
	}
	return lines[8][8:48], nil
}

// flatten removes white space and JSON's \n escapes, so that a secret is
// found however its lines were broken.
func flatten(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, `\n`, "")), "")
}

func makeSparse(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	b[0] = 0x8f
	return b
}

// nestedXML opens depth elements after head and never closes them.
func nestedXML(head string, depth int) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	for range depth {
		b.WriteString("<a>")
	}
	return b.Bytes()
}

// billionLaughs is the classic entity-expansion document: &lol9; would
// expand to 10^9 "lol"s.
func billionLaughs(root, body string) []byte {
	name := strings.Fields(root)[0]
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE %s [\n <!ENTITY lol \"lol\">\n", name)
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		fmt.Fprintf(&b, " <!ENTITY lol%d \"%s\">\n", i, strings.Repeat("&"+prev+";", 10))
	}
	fmt.Fprintf(&b, "]>\n<%s>%s</%s>\n", root, body, name)
	return []byte(b.String())
}

// relEmulator is an emulator that trusts the fixtures' management
// certificate, with a cloud service "web" and an API Management service
// "rg-api/contoso-apim", and the environment that points azcert at it.
type relEmulator struct {
	srv *azure.Emulator
	env map[string]string
}

func startRelEmulator(t *testing.T, fx *relFixtures, edit func(*azure.Config)) *relEmulator {
	t.Helper()
	cfg := azure.Config{
		Trust: []*x509.Certificate{fx.mgmtCert}, Services: []string{"web"},
		APIMServices: []string{"rg-api/contoso-apim"},
		VPNGateways:  []string{"rg-net/vpngw"},
		EntraApps:    []string{"ci-deploy"},
	}
	if edit != nil {
		edit(&cfg)
	}
	srv := emulatortest.NewServer(t, cfg)
	return &relEmulator{srv: srv, env: emulatorEnv(t, fx, srv)}
}

// emulatorEnv is the environment that points azcert at srv and
// authenticates with the fixtures' management certificate.
func emulatorEnv(t *testing.T, fx *relFixtures, srv *azure.Emulator) map[string]string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "emulator-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AZCERT_ENDPOINT":      srv.URL,
		"AZCERT_CA_FILE":       ca,
		"AZCERT_SUBSCRIPTION":  srv.Subscription,
		"AZCERT_AUTH_CERT":     fx.path("mgmt.pfx"),
		"AZCERT_AUTH_PASSWORD": relPassword,
		"AZCERT_ARM_ENDPOINT":  srv.URL,
		"AZCERT_ACCESS_TOKEN":  srv.APIM.Token(),
		"AZCERT_VAULT":         srv.URL,
		"RELPW":                relPassword,
	}
	// Microsoft Graph (azcert entra) shares the port too.
	env["AZCERT_GRAPH_ENDPOINT"] = srv.URL
	return env
}

// invocation is the outcome of one in-process run of azcert.
type invocation struct {
	code      int
	stdout    string
	stderr    string
	elapsed   time.Duration
	allocated uint64 // bytes allocated by the whole process meanwhile (runtime.MemStats.TotalAlloc)
	panicked  any
	timedOut  bool
}

// invokeBound is how long one invocation may take before the test calls it
// a hang. The slowest legitimate case (a .pfx at the iteration limit under
// the race detector) takes a few seconds.
const invokeBound = 60 * time.Second

// invoke runs azcert in process with the given stdin and environment,
// catching a panic and a hang, and measuring time and allocation.
func invoke(t *testing.T, args []string, stdin io.Reader, env map[string]string, edit func(*cmdutil.Factory)) invocation {
	t.Helper()
	f, out, errOut := testFactory(t, "", nil, env)
	if stdin != nil {
		f.IO.In = stdin
	}
	// The fixtures are made with the real clock; judge them by it.
	f.Now = time.Now
	f.MgmtOptions = fastRetries
	f.APIMOptions = func(o *apimclient.Options) { o.RetryDelay = time.Millisecond }
	f.NetworkOptions = func(o *network.Options) { o.RetryDelay, o.PollInterval = time.Millisecond, 10*time.Millisecond }
	f.GraphOptions = func(o *graph.Options) { o.RetryDelay = time.Millisecond }
	f.SignInOptions = func(o *entra.SignInOptions) { o.RetryDelay = time.Millisecond }
	if edit != nil {
		edit(f)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan invocation, 1)
	start := time.Now()
	go func() {
		var r invocation
		defer func() {
			if p := recover(); p != nil {
				r.panicked = p
				done <- r
			}
		}()
		r.code = run(args, f)
		done <- r
	}()
	var r invocation
	select {
	case r = <-done:
	case <-time.After(invokeBound):
		r.timedOut = true
	}
	r.elapsed = time.Since(start)
	runtime.ReadMemStats(&after)
	r.allocated = after.TotalAlloc - before.TotalAlloc
	if !r.timedOut {
		r.stdout, r.stderr = out.String(), errOut.String()
	}
	return r
}

// manifest lists every file under dir (path, type, mode, size and content
// hash; a symbolic link with its target), so that two manifests are equal
// exactly when nothing in the directory changed.
func dirManifest(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v %d", rel, info.Mode(), info.Size())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case info.Mode().IsRegular() && info.Size() < 64<<20:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			line += " " + hex.EncodeToString(sum[:])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// dirNames lists the names in dir (not recursive), sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// checkErrorLines checks stderr holds exactly one "azcert: error:" line,
// nothing that looks like a stack trace, and every line is azcert's own.
func checkErrorLines(t *testing.T, stderr string) {
	t.Helper()
	if n := strings.Count(stderr, "azcert: error: "); n != 1 {
		t.Errorf("stderr has %d error lines, want 1:\n%s", n, stderr)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr contains %q:\n%s", bad, stderr)
		}
	}
}

// fastRetries shortens the client's back-off and polling so that fault
// tests take milliseconds; the number of attempts is unchanged.
func fastRetries(o *mgmtclient.Options) {
	o.RetryDelay = time.Millisecond
	o.MaxRetryDelay = 10 * time.Millisecond
	o.PollInterval = 10 * time.Millisecond
}
