package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/export"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"azcert": main})
}

// TestScripts runs every testdata/script/*.txtar against the real command.
// Interoperability scripts use OpenSSL, keytool and Node; they are skipped
// with a message when a tool is missing, except under CI=true, where a
// missing tool fails the run.
//
// Under -race the scripts run an azcert built without it: the scripts are
// there for the command's behaviour, which the plain run checks, and a
// race-instrumented process per command line would double CI's time. The
// race detector still watches everything the scripts do in process (the
// emulator and the other custom commands) and the in-process tests of the
// concurrent paths (faults_test.go, upload_parallel_test.go).
func TestScripts(t *testing.T) {
	plainBin := ""
	if raceBuild {
		plainBin = buildPlainAzcert(t)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// A clean environment: no AZCERT_* from the developer's shell,
			// a config directory inside the work directory.
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AZCERT_") {
					env.Setenv(k, "")
				}
			}
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("NO_COLOR", "")
			env.Setenv("CI", os.Getenv("CI"))
			// The Azure credential chain, where a script reaches it, may use
			// only the developer tools (not installed here): never managed
			// identity, whose probe would leave the machine.
			env.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
			if plainBin != "" {
				env.Setenv("PATH", plainBin+string(os.PathListSeparator)+env.Getenv("PATH"))
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch {
			case strings.HasPrefix(cond, "tool:"):
				return haveTool(strings.TrimPrefix(cond, "tool:"))
			case cond == "root":
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":           cmdExits,
			"mode":            cmdMode,
			"snapshot":        cmdSnapshot,
			"unchanged":       cmdUnchanged,
			"certfield":       cmdCertField,
			"servetls":        cmdServeTLS,
			"thumbof":         cmdThumbOf,
			"truncate":        cmdTruncate,
			"randbytes":       cmdRandBytes,
			"concat":          cmdConcat,
			"emulator":        cmdEmulator,
			"fault":           cmdFault,
			"emucerts":        cmdEmuCerts,
			"emuhandshakes":   cmdEmuHandshakes,
			"emuconns":        cmdEmuConns,
			"apimcerts":       cmdAPIMCerts,
			"apimuse":         cmdAPIMUse,
			"vpnroots":        cmdVPNRoots,
			"vpnrevoked":      cmdVPNRevoked,
			"vpnfill":         cmdVPNFill,
			"vpnnop2s":        cmdVPNNoP2S,
			"emustop":         cmdEmuStop,
			"freeport":        cmdFreePort,
			"waitport":        cmdWaitPort,
			"waitfile":        cmdWaitFile,
			"sigterm":         cmdSigterm,
			"publishsettings": cmdPublishSettings,
			"oldcert":         cmdOldCert,
		},
	})
}

// haveTool reports whether an external program is installed. Under CI a
// missing tool is an error, so interoperability tests can never be
// silently skipped there.
func haveTool(name string) (bool, error) {
	if _, err := exec.LookPath(name); err == nil {
		return true, nil
	}
	if os.Getenv("CI") == "true" {
		return false, fmt.Errorf("%s is not installed, and CI=true requires every interoperability tool (.ci/run installs them)", name)
	}
	return false, nil
}

// exits CODE PROGRAM ARGS... runs a program like exec and asserts its exit
// code; stdout and stderr are kept for the stdout and stderr commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if (got == want) == neg {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// mode PERM FILE... asserts the permission bits of files.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: mode PERM FILE...")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	for _, f := range args[1:] {
		st, err := os.Stat(ts.MkAbs(f))
		ts.Check(err)
		got := st.Mode().Perm()
		if (got == fs.FileMode(want)) == neg {
			ts.Fatalf("mode of %s = %04o, want %s%04o", f, got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	}
}

// snapshot NAME records every file in the work directory (path, mode and
// content hash); unchanged NAME fails if anything was added, removed or
// changed since.
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: snapshot NAME")
	}
	ts.Check(os.WriteFile(ts.MkAbs(".snap-"+args[0]), []byte(manifest(ts)), 0o644))
}

func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: unchanged NAME")
	}
	before := ts.ReadFile(".snap-" + args[0])
	after := manifest(ts)
	if (before == after) == neg {
		if neg {
			ts.Fatalf("the work directory did not change")
		}
		ts.Fatalf("the work directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func manifest(ts *testscript.TestScript) string {
	root := ts.MkAbs(".")
	var lines []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			lines = append(lines, "error "+err.Error())
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, ".snap-") || rel == ".config" || strings.HasPrefix(rel, "tmp") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		line := fmt.Sprintf("%s %v", rel, info.Mode())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err == nil {
				sum := sha256.Sum256(data)
				line += " " + hex.EncodeToString(sum[:8])
			} else {
				line += " unreadable"
			}
		}
		lines = append(lines, line)
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// certfield FILE FIELD VALUE checks a parsed certificate (DER or PEM) with
// crypto/x509, independently of azcert's own reading.
func cmdCertField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: certfield FILE FIELD VALUE")
	}
	cert := readCert(ts, args[0])
	var got string
	switch args[1] {
	case "cn":
		got = cert.Subject.CommonName
	case "dns":
		got = strings.Join(cert.DNSNames, ",")
	case "ip":
		var s []string
		for _, ip := range cert.IPAddresses {
			s = append(s, ip.String())
		}
		got = strings.Join(s, ",")
	case "bits":
		got, _ = func() (string, int) {
			_, bits := export.KeyInfo(cert)
			return strconv.Itoa(bits), 0
		}()
	case "days":
		got = strconv.Itoa(int(cert.NotAfter.Sub(cert.NotBefore).Round(time.Hour).Hours() / 24))
	case "notafter":
		got = cert.NotAfter.UTC().Format(time.DateOnly)
	case "serialbytes":
		got = strconv.Itoa(len(cert.SerialNumber.Bytes()))
	case "ku":
		got = strings.Join(export.KeyUsageNames(cert.KeyUsage), ",")
	case "eku":
		got = strings.Join(export.ExtKeyUsageNames(cert), ",")
	case "ca":
		got = fmt.Sprintf("valid=%v ca=%v", cert.BasicConstraintsValid, cert.IsCA)
	case "ski":
		got = strconv.FormatBool(len(cert.SubjectKeyId) == 20)
	case "sigalg":
		got = cert.SignatureAlgorithm.String()
	case "encoding":
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		got = string(export.Sniff(data))
	default:
		ts.Fatalf("unknown field %s", args[1])
	}
	if (got == args[2]) == neg {
		ts.Fatalf("%s %s = %q, want %s%q", args[0], args[1], got, map[bool]string{true: "not ", false: ""}[neg], args[2])
	}
}

func readCert(ts *testscript.TestScript, name string) *x509.Certificate {
	data, err := os.ReadFile(ts.MkAbs(name))
	ts.Check(err)
	b, err := export.Load(data, nil)
	ts.Check(err)
	return b.Cert
}

// thumbof VAR FILE sets VAR to the SHA-1 thumbprint of a certificate file,
// computed here with crypto/sha1 over the DER.
func cmdThumbOf(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: thumbof VAR FILE")
	}
	cert := readCert(ts, args[1])
	ts.Setenv(args[0], export.FormatThumbprint(export.Thumbprint(cert.Raw, export.SHA1), export.SHA1, export.FormatAzure))
}

// servetls CERT.pem KEY.pem starts a TLS server on 127.0.0.1 that presents
// the certificate, and sets TLSURL to https://127.0.0.1:PORT. It stops when
// the script ends.
func cmdServeTLS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: servetls CERT KEY")
	}
	pair, err := tls.LoadX509KeyPair(ts.MkAbs(args[0]), ts.MkAbs(args[1]))
	ts.Check(err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	ts.Check(err)
	done := serveHandshakes(ln)
	ts.Defer(func() { ln.Close(); <-done })
	ts.Setenv("TLSURL", "https://"+ln.Addr().String())
}

// serveHandshakes completes the TLS handshake of every connection ln
// accepts, then closes it, until ln is closed; the channel closes then.
func serveHandshakes(ln net.Listener) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}(c)
		}
	}()
	return done
}

// truncate FILE N keeps the first N bytes of a copy: truncate SRC N DST.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: truncate SRC N DST")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	if n > len(data) {
		n = len(data)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), data[:n], 0o644))
}

// randbytes FILE N writes N deterministic pseudo-random bytes that are not
// a certificate (the first byte is never 0x30 or '-').
func cmdRandBytes(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: randbytes FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	var buf bytes.Buffer
	x := uint32(2463534242)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		buf.WriteByte(byte(x))
	}
	data := buf.Bytes()
	if len(data) > 0 {
		data[0] = 0x8f
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// concat OUT IN... writes the concatenation of files.
func cmdConcat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: concat OUT IN...")
	}
	var buf bytes.Buffer
	for _, in := range args[1:] {
		buf.WriteString(ts.ReadFile(in))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o600))
}

// oldcert CERT.pem KEY.pem writes a certificate that expired on
// 2020-02-01, made directly with crypto/x509 (not azcert's certgen).
func cmdOldCert(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: oldcert CERT KEY")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: "old.contoso.net"},
		DNSNames:     []string{"old.contoso.net"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
}

// emulators holds the emulator each running script started.
var emulators sync.Map // *testscript.TestScript -> *azure.Emulator

// emulator [--trust FILE]... [--service NAME]... [--apim RG/NAME]...
// [--entra-app NAME]... [--max N] starts an emulator in the test process
// and points azcert at it through AZCERT_ENDPOINT, AZCERT_CA_FILE,
// AZCERT_SUBSCRIPTION, AZCERT_ARM_ENDPOINT and AZCERT_GRAPH_ENDPOINT
// (EMU_URL is the authority, EMU_TENANT the tenant).
func cmdEmulator(ts *testscript.TestScript, neg bool, args []string) {
	cfg := azure.Config{Listen: "127.0.0.1:0"}
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			ts.Fatalf("emulator: %s needs a value", args[i])
		}
		switch args[i] {
		case "--trust":
			cfg.Trust = append(cfg.Trust, readCert(ts, args[i+1]))
		case "--service":
			cfg.Services = append(cfg.Services, args[i+1])
		case "--apim":
			cfg.APIMServices = append(cfg.APIMServices, args[i+1])
		case "--entra-app":
			cfg.EntraApps = append(cfg.EntraApps, args[i+1])
		case "--max":
			n, err := strconv.Atoi(args[i+1])
			ts.Check(err)
			cfg.MaxManagementCerts = n
		case "--vpn-gateway":
			cfg.VPNGateways = append(cfg.VPNGateways, args[i+1])
		case "--operation-delay":
			d, err := time.ParseDuration(args[i+1])
			ts.Check(err)
			cfg.OperationDelay = d
		default:
			ts.Fatalf("emulator: unknown flag %s", args[i])
		}
		i++
	}
	srv, err := azure.New(cfg)
	ts.Check(err)
	ts.Check(srv.Start())
	ts.Defer(func() { _ = srv.Close() })
	emulators.Store(ts, srv)
	ca := ts.MkAbs("emulator-ca.pem")
	ts.Check(os.WriteFile(ca, srv.CACertPEM(), 0o644))
	ts.Setenv("AZCERT_ENDPOINT", srv.URL)
	ts.Setenv("AZCERT_CA_FILE", ca)
	ts.Setenv("AZCERT_SUBSCRIPTION", srv.Subscription)
	ts.Setenv("EMU_URL", srv.URL)
	ts.Setenv("AZCERT_ARM_ENDPOINT", srv.URL)
	ts.Setenv("EMU_TOKEN", srv.APIM.Token())
	ts.Setenv("EMU_VAULT", srv.URL) // the Key Vault data plane shares the port
	// Microsoft Graph and the Entra ID authority share it too.
	ts.Setenv("AZCERT_GRAPH_ENDPOINT", srv.URL)
	ts.Setenv("EMU_TENANT", srv.Graph.Tenant())
}

func scriptEmulator(ts *testscript.TestScript) *azure.Emulator {
	v, ok := emulators.Load(ts)
	if !ok {
		ts.Fatalf("no emulator running; start one with the emulator command")
	}
	return v.(*azure.Emulator)
}

// fault SPEC injects a fault (emulator.ParseFault syntax) into the emulator.
func cmdFault(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: fault SPEC")
	}
	f, err := emulator.ParseFault(args[0])
	ts.Check(err)
	scriptEmulator(ts).Inject(f)
}

// apimcerts N RG/SERVICE asserts how many API Management certificates the
// emulator holds; apimuse RG/SERVICE ID BACKEND marks one as in use.
func cmdAPIMCerts(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: apimcerts N RG/SERVICE")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	rg, svc, _ := strings.Cut(args[1], "/")
	got := scriptEmulator(ts).APIM.Certificates(rg, svc)
	if (len(got) == want) == neg {
		ts.Fatalf("the emulator holds %d API Management certificates %v, want %d", len(got), got, want)
	}
}

func cmdAPIMUse(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: apimuse RG/SERVICE ID BACKEND")
	}
	rg, svc, _ := strings.Cut(args[0], "/")
	ts.Check(scriptEmulator(ts).APIM.UseCertificate(rg, svc, args[1], args[2]))
}

// vpnroots N RG/NAME asserts how many root certificates the emulator's
// VPN gateway holds; vpnrevoked N RG/NAME, how many revoked ones.
func cmdVPNRoots(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: vpnroots N RG/NAME")
	}
	rg, name, _ := strings.Cut(args[1], "/")
	vpnCount(ts, neg, args[0], "root", scriptEmulator(ts).Network.Roots(rg, name))
}

func cmdVPNRevoked(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: vpnrevoked N RG/NAME")
	}
	rg, name, _ := strings.Cut(args[1], "/")
	vpnCount(ts, neg, args[0], "revoked", scriptEmulator(ts).Network.Revoked(rg, name))
}

// vpnfill N RG/NAME adds N root certificates to the emulator's gateway
// behind azcert's back (as the portal would), each a fresh ECDSA CA
// certificate made here with crypto/x509, named filler-1 to filler-N.
func cmdVPNFill(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: vpnfill N RG/NAME")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	rg, name, _ := strings.Cut(args[1], "/")
	var roots []any
	for i := 1; i <= n; i++ {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ts.Check(err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i)), Subject: pkix.Name{CommonName: fmt.Sprintf("Filler Root %d", i)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		ts.Check(err)
		roots = append(roots, map[string]any{"name": fmt.Sprintf("filler-%d", i),
			"properties": map[string]any{"publicCertData": base64.StdEncoding.EncodeToString(der)}})
	}
	ts.Check(scriptEmulator(ts).Network.Update(rg, name, func(doc map[string]any) error {
		cfg := doc["properties"].(map[string]any)["vpnClientConfiguration"].(map[string]any)
		have, _ := cfg["vpnClientRootCertificates"].([]any)
		cfg["vpnClientRootCertificates"] = append(have, roots...)
		return nil
	}))
}

// vpnnop2s RG/NAME removes the point-to-site configuration of the
// emulator's gateway, as a gateway made for site-to-site has none.
func cmdVPNNoP2S(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: vpnnop2s RG/NAME")
	}
	rg, name, _ := strings.Cut(args[0], "/")
	ts.Check(scriptEmulator(ts).Network.Update(rg, name, func(doc map[string]any) error {
		delete(doc["properties"].(map[string]any), "vpnClientConfiguration")
		return nil
	}))
}

func vpnCount(ts *testscript.TestScript, neg bool, n, what string, got []string) {
	want, err := strconv.Atoi(n)
	ts.Check(err)
	if (len(got) == want) == neg {
		ts.Fatalf("the gateway holds %d %s certificates %v, want %d", len(got), what, got, want)
	}
}

// emucerts N [SERVICE] asserts how many management certificates (or
// certificates of SERVICE) the emulator holds.
func cmdEmuCerts(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: emucerts N [SERVICE]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	srv := scriptEmulator(ts)
	got := srv.ASM.ManagementCertificates()
	if len(args) == 2 {
		got = srv.ASM.ServiceCertificates(args[1])
	}
	if (len(got) == want) == neg {
		ts.Fatalf("the emulator holds %d certificates %v, want %d", len(got), got, want)
	}
}

// emustop stops the emulator, so later calls find nothing listening.
func cmdEmuStop(ts *testscript.TestScript, neg bool, args []string) {
	ts.Check(scriptEmulator(ts).Close())
}

// freeport VAR sets VAR to a TCP port on 127.0.0.1 that was free a moment ago.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ts.Setenv(args[0], strconv.Itoa(port))
}

// waitport PORT waits (at most 20 s) until something listens on 127.0.0.1:PORT.
func cmdWaitPort(ts *testscript.TestScript, neg bool, args []string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("nothing listens on 127.0.0.1:%s after 20s", args[0])
}

// waitfile FILE waits (at most 20 s) until FILE exists.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear within 20s", args[0])
}

// sigterm sends SIGTERM to every background command.
func cmdSigterm(ts *testscript.TestScript, neg bool, args []string) {
	for _, c := range ts.BackgroundCmds() {
		if c.Process != nil {
			ts.Check(c.Process.Signal(syscall.SIGTERM))
		}
	}
}

// publishsettings OUT CERT.pfx PASSWORD SCHEMA writes a .publishsettings
// file the way the portal made them: the management certificate as base64
// PKCS#12 with an empty password and RC2 encryption, for the subscription
// and endpoint in AZCERT_SUBSCRIPTION and AZCERT_ENDPOINT (schema 1.0 or 2.0).
func cmdPublishSettings(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: publishsettings OUT CERT.pfx PASSWORD SCHEMA")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	key, cert, err := gopkcs12.Decode(data, args[2])
	ts.Check(err)
	blob, err := gopkcs12.LegacyRC2.Encode(key, cert, nil, "")
	ts.Check(err)
	b64 := base64.StdEncoding.EncodeToString(blob)
	sub, url := ts.Getenv("AZCERT_SUBSCRIPTION"), ts.Getenv("AZCERT_ENDPOINT")
	var xml string
	switch args[3] {
	case "1.0":
		xml = fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<PublishData>
  <PublishProfile PublishMethod="AzureServiceManagementAPI" Url="%s" ManagementCertificate="%s">
    <Subscription Id="%s" Name="Pay-As-You-Go" />
  </PublishProfile>
</PublishData>
`, url, b64, sub)
	case "2.0":
		xml = fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<PublishData>
  <PublishProfile SchemaVersion="2.0" PublishMethod="AzureServiceManagementAPI">
    <Subscription ServiceManagementUrl="%s" Id="%s" Name="Visual Studio Enterprise" ManagementCertificate="%s" />
    <Subscription ServiceManagementUrl="https://management.core.windows.net" Id="11111111-2222-3333-4444-555555555555" Name="Other" ManagementCertificate="%s" />
  </PublishProfile>
</PublishData>
`, url, sub, b64, b64)
	default:
		ts.Fatalf("schema %s: want 1.0 or 2.0", args[3])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(xml), 0o600))
}

// buildPlainAzcert builds azcert without -race into a directory of the
// test's and returns the directory.
func buildPlainAzcert(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	name := "azcert"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building azcert without -race for the scripts: %v\n%s", err, out)
	}
	return dir
}
