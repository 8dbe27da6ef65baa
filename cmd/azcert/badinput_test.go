package main

import (
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// badCase is one invocation of the bad-input matrix. Arguments that begin
// with "@" name a fixture file (its absolute path); every case runs in an
// empty working directory of its own (with whatever setup puts there).
type badCase struct {
	name  string
	args  []string
	stdin func() io.Reader
	// setup prepares the working directory before it is recorded.
	setup func(t *testing.T, fx *relFixtures)
	// net: the case talks to (or could reach) the emulator; the emulator's
	// environment is set and the requests it receives are counted.
	net bool
	// sent is the number of requests the emulator may receive (net only).
	sent int
	code int
	// stderr is a fragment the one error line must contain.
	stderr string
	// maxAlloc overrides the allocation bound.
	maxAlloc uint64
}

// defaultAllocBound is what one bad-input invocation may allocate in total
// (all of the process's allocations while it runs, so an upper bound on
// the memory it adds). Inputs are refused before they are read in full, or
// read up to export.MaxInputSize (16 MiB) at most.
const defaultAllocBound = 16 << 20

// stdinAllocBound is the bound for the invocations that read standard
// input or a device, which is read up to the 16 MiB limit before it is
// refused (measured: 35 MiB, 70 MiB under the race detector).
const stdinAllocBound = 96 << 20

// pem10kAllocBound is the bound for a 13 MB PEM file of 10 000
// certificates, which is read whole (it is under the 16 MiB limit) and
// refused at its 1001st block.
const pem10kAllocBound = 40 << 20

// endless is a reader of n bytes of 'A' that allocates nothing up front.
func endless(n int64) func() io.Reader {
	return func() io.Reader { return io.LimitReader(repeatReader('A'), n) }
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func symlinkTo(target, link string) func(t *testing.T, fx *relFixtures) {
	return func(t *testing.T, fx *relFixtures) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(name, data string, mode os.FileMode) func(t *testing.T, fx *relFixtures) {
	return func(t *testing.T, fx *relFixtures) {
		t.Helper()
		if err := os.WriteFile(name, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFixture(name, to string) func(t *testing.T, fx *relFixtures) {
	return func(t *testing.T, fx *relFixtures) {
		t.Helper()
		data, err := os.ReadFile(fx.path(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	goodThumb = "AABBCCDDEEFF00112233445566778899AABBCCDD"
	ctrlName  = "contoso\x1b[31m.net"
)

func badCases() []badCase {
	pw := []string{"--password", "env:RELPW"}
	inpw := []string{"--in-password", "env:RELPW"}
	with := func(a []string, more ...string) []string { return append(append([]string{}, a...), more...) }
	return []badCase{
		// Global.
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"show", "--frobnicate", "@site.cer"}, code: 2, stderr: "unknown flag: --frobnicate"},
		{name: "output format", args: []string{"-o", "xml", "version"}, code: 2, stderr: `--output "xml": want text or json`},
		{name: "broken config file", args: []string{"--config", "@config-broken.yaml", "version"}, code: 2, stderr: "config-broken.yaml"},
		{name: "missing config file", args: []string{"--config", "nope.yaml", "version"}, code: 2, stderr: "nope.yaml does not exist"},
		{name: "config file of 50 MB", args: []string{"--config", "big.yaml", "version"}, setup: func(t *testing.T, fx *relFixtures) {
			symlinkTo(fx.path("big50.bin"), "big.yaml")(t, fx)
		}, code: 2, stderr: "config file big.yaml is 52428800 bytes"},
		{name: "config file /dev/zero", args: []string{"--config", "/dev/zero", "version"}, code: 2, stderr: "config file /dev/zero: it holds more than 1048576 bytes"},
		{name: "version with an argument", args: []string{"version", "extra"}, code: 2, stderr: "unknown command"},

		// new.
		{name: "new without names", args: with(pw, "new"), code: 2, stderr: "give at least one domain name"},
		{name: "new name with control characters", args: with(pw, "new", ctrlName), code: 3, stderr: `invalid name "contoso\x1b[31m.net": the name contains a space or a control character`},
		{name: "new name with NUL", args: with(pw, "new", "contoso\x00.net"), code: 3, stderr: "control character"},
		{name: "new name of 300 characters", args: with(pw, "new", strings.Repeat("a", 60)+"."+strings.Repeat("b", 60)+"."+strings.Repeat("c", 60)+"."+strings.Repeat("d", 60)+"."+strings.Repeat("e", 56)+".net"), code: 3, stderr: "longer than 253"},
		{name: "new label of 64 characters", args: with(pw, "new", strings.Repeat("a", 64)+".net"), code: 3, stderr: "longer than 63"},
		{name: "new URL as a name", args: with(pw, "new", "https://contoso.net/"), code: 3, stderr: "not a URL"},
		{name: "new Azure-owned domain", args: with(pw, "new", "contoso.cloudapp.net"), code: 3, stderr: "cloudapp.net"},
		{name: "new weak key", args: with(pw, "new", "contoso.net", "--key-size", "1024"), code: 3, stderr: "1024"},
		{name: "new zero days", args: with(pw, "new", "contoso.net", "--days", "0"), code: 3, stderr: "--days 0"},
		{name: "new days and not-after", args: with(pw, "new", "contoso.net", "--days", "3", "--not-after", "2030-01-01"), code: 2, stderr: "give one"},
		{name: "new --name with control characters", args: with(pw, "new", "contoso.net", "--name", ctrlName), code: 3, stderr: "control characters"},
		{name: "new not-after garbage", args: with(pw, "new", "contoso.net", "--not-after", "tomorrow"), code: 2, stderr: "is not a date"},
		{name: "new unknown profile", args: with(pw, "new", "contoso.net", "--pfx-profile", "rc2"), code: 2, stderr: "--pfx-profile"},
		{name: "new name with a directory", args: with(pw, "new", "contoso.net", "--name", "../evil"), code: 3, stderr: "without a directory"},
		{name: "new out-dir missing", args: with(pw, "new", "contoso.net", "--out-dir", "missing"), code: 3, stderr: "does not exist"},
		{name: "new out-dir is a file", args: with(pw, "new", "contoso.net", "--out-dir", "afile"), setup: writeFile("afile", "x", 0o644), code: 3, stderr: "not a directory"},
		{name: "new existing output", args: with(pw, "new", "contoso.net"), setup: writeFile("contoso.net.cer", "keep me", 0o644), code: 3, stderr: "contoso.net.cer already exists (use --force"},
		{name: "new symlink planted at the .pfx", args: with(pw, "new", "contoso.net"), setup: symlinkTo("victim.pfx", "contoso.net.pfx"), code: 3, stderr: "contoso.net.pfx already exists"},
		{name: "new dangling symlink at the key PEM", args: with(pw, "new", "contoso.net", "--pem"), setup: symlinkTo("/nonexistent/stolen.key", "contoso.net.key.pem"), code: 3, stderr: "contoso.net.key.pem already exists"},
		{name: "new password variable unset", args: []string{"new", "contoso.net", "--password", "env:NOPE"}, code: 2, stderr: "the variable NOPE is not set"},
		{name: "new password file missing", args: []string{"new", "contoso.net", "--password", "file:nope.txt"}, code: 3, stderr: "file:nope.txt"},
		{name: "new password file of 50 MB", args: []string{"new", "contoso.net", "--password", "file:@big50.bin"}, code: 3, stderr: "longer than 65536 bytes"},
		{name: "new password file /dev/zero", args: []string{"new", "contoso.net", "--password", "file:/dev/zero"}, code: 3, stderr: "longer than 65536 bytes"},
		{name: "new empty password", args: []string{"new", "contoso.net", "--password", "pass:"}, code: 3, stderr: "is empty"},
		{name: "new password source mistyped", args: []string{"new", "contoso.net", "--password", "hunter2-secret"}, code: 2, stderr: "--password: not a password source (want pass:TEXT"},

		// export.
		{name: "export without a mode", args: []string{"export", "@site.cer"}, code: 2, stderr: "exactly one of --cer, --pfx or --pem"},
		{name: "export two modes", args: []string{"export", "--cer", "--pem", "@site.cer"}, code: 2, stderr: "exactly one of"},
		{name: "export 50 MB file", args: []string{"export", "--cer", "@big50.bin", "--out", "x.cer"}, code: 3, stderr: "larger than any certificate"},
		{name: "export PEM of 10000 blocks", args: []string{"export", "--cer", "@pem10k.pem", "--out", "x.cer"}, code: 3, stderr: "more than 1000 blocks", maxAlloc: pem10kAllocBound},
		{name: "export pfx without a key", args: with(pw, "export", "--pfx", "@site.cer", "--out", "x.pfx"), code: 3, stderr: "holds no private key"},
		{name: "export key of another certificate", args: with(pw, "export", "--pfx", "@site.crt.only.pem", "--key", "@other.key.pem", "--out", "x.pfx"), code: 3, stderr: "does not belong to the certificate"},
		{name: "export into a missing directory", args: []string{"export", "--cer", "@site.cer", "--out", "missing/x.cer"}, code: 3, stderr: "does not exist"},
		{name: "export onto its input", args: []string{"export", "--cer", "--cer-format", "der", "site.cer", "--out", "site.cer"}, setup: copyFixture("site.cer", "site.cer"), code: 2, stderr: "would replace an input file"},
		{name: "export pfx to stdout", args: with(pw, "export", "--pfx", "@site.crt.pem", "--key", "@site.key.pem", "--out", "-"), code: 2, stderr: "binary"},
		{name: "export stdin without --out", args: []string{"export", "--cer", "-"}, stdin: endless(100), code: 2, stderr: "give --out"},
		{name: "export symlink planted at the key PEM", args: with(inpw, "export", "--pem", "@site.pfx", "--out", "out.pem"), setup: symlinkTo("victim.pem", "out.pem"), code: 3, stderr: "out.pem already exists"},
		{name: "export huge iteration count", args: with(inpw, "export", "--cer", "@huge-iterations.pfx", "--out", "x.cer"), code: 3, stderr: "8388607 key-derivation iterations"},

		// thumbprint.
		{name: "thumbprint unknown format", args: []string{"thumbprint", "--format", "base32", "@site.cer"}, code: 2, stderr: "--format"},
		{name: "thumbprint short --expect", args: []string{"thumbprint", "--expect", "ABCD", "@site.cer"}, code: 2, stderr: "--expect"},
		{name: "thumbprint random bytes", args: []string{"thumbprint", "@random.bin"}, code: 3, stderr: "is not a certificate"},
		{name: "thumbprint directory", args: []string{"thumbprint", "@adir"}, code: 3, stderr: "is a directory"},
		{name: "thumbprint 50 MB on stdin", args: []string{"thumbprint", "-"}, stdin: endless(50 << 20), code: 3, stderr: "larger than any certificate", maxAlloc: stdinAllocBound},
		{name: "thumbprint /dev/zero", args: []string{"thumbprint", "/dev/zero"}, code: 3, stderr: "larger than any certificate", maxAlloc: stdinAllocBound},
		{name: "thumbprint huge iteration count", args: with(inpw, "thumbprint", "@huge-iterations.pfx"), code: 3, stderr: "azcert refuses more than 2000000"},
		{name: "thumbprint URL with a path", args: []string{"thumbprint", "https://127.0.0.1:1/x"}, code: 3, stderr: "give only https://host[:port]"},
		{name: "thumbprint closed port", args: []string{"thumbprint", "--timeout", "2s", "https://127.0.0.1:1"}, code: 6, stderr: "127.0.0.1:1 is unreachable"},
		{name: "thumbprint mismatch", args: []string{"thumbprint", "--expect", goodThumb, "@site.cer"}, code: 4, stderr: "thumbprint mismatch"},

		// show.
		{name: "show truncated DER", args: []string{"show", "@truncated.cer"}, code: 3, stderr: "does not parse"},
		{name: "show truncated pfx", args: with(inpw, "show", "@truncated.pfx"), code: 3, stderr: "damaged or truncated"},
		{name: "show wrong password", args: []string{"show", "@site.pfx", "--in-password", "pass:wrong"}, code: 3, stderr: "wrong password"},
		{name: "show stdin twice", args: []string{"show", "-", "--in-password", "stdin"}, stdin: endless(10), code: 2, stderr: "standard input can be read only once"},
		{name: "show publish settings", args: []string{"show", "@laughs.publishsettings"}, code: 3, stderr: "XML or HTML"},
		{name: "show 50 MB file", args: []string{"show", "@big50.bin"}, code: 3, stderr: "larger than any certificate"},

		// check.
		{name: "check empty --domain", args: []string{"check", "@site.cer", "--for", "service", "--domain", ""}, code: 2, stderr: "--domain is empty"},
		{name: "check unknown target", args: []string{"check", "@site.cer", "--for", "web"}, code: 2, stderr: "--for"},
		{name: "check two files", args: []string{"check", "@site.cer", "@mgmt.cer"}, code: 2, stderr: "exactly one file"},
		{name: "check PEM of 10000 blocks", args: []string{"check", "@pem10k.pem"}, code: 3, stderr: "more than 1000 blocks", maxAlloc: pem10kAllocBound},
		{name: "check weak key", args: []string{"check", "@weak1024.cer", "--for", "management"}, code: 4, stderr: "not ready"},

		// cscfg.
		{name: "cscfg show deeply nested", args: []string{"cscfg", "show", "@nested.cscfg"}, code: 3, stderr: "nested"},
		{name: "cscfg show billion laughs", args: []string{"cscfg", "show", "@laughs.cscfg"}, code: 3, stderr: "document type declaration"},
		{name: "cscfg show 50 MB", args: []string{"cscfg", "show", "@big50.bin"}, code: 3, stderr: "larger than any certificate"},
		{name: "cscfg set not XML", args: []string{"cscfg", "set", "x.cscfg", "--name", "SSL", "--thumbprint", goodThumb}, setup: copyFixture("notxml.cscfg", "x.cscfg"), code: 3, stderr: "not a valid service configuration"},
		{name: "cscfg set billion laughs", args: []string{"cscfg", "set", "x.cscfg", "--name", "SSL", "--thumbprint", goodThumb}, setup: copyFixture("laughs.cscfg", "x.cscfg"), code: 3, stderr: "document type declaration"},
		{name: "cscfg set bad thumbprint", args: []string{"cscfg", "set", "x.cscfg", "--name", "SSL", "--thumbprint", "xyz"}, setup: copyFixture("site.cscfg", "x.cscfg"), code: 2, stderr: "40 hex digits"},
		{name: "cscfg set undeclared name", args: []string{"cscfg", "set", "x.cscfg", "--name", "Nope", "--thumbprint", goodThumb}, setup: copyFixture("site.cscfg", "x.cscfg"), code: 3, stderr: "SSL"},
		{name: "cscfg set without --name", args: []string{"cscfg", "set", "x.cscfg", "--thumbprint", goodThumb}, setup: copyFixture("site.cscfg", "x.cscfg"), code: 2, stderr: "--name is required"},
		{name: "cscfg set --cert huge iterations", args: with(inpw, "cscfg", "set", "x.cscfg", "--name", "SSL", "--cert", "@huge-iterations.pfx"), setup: copyFixture("site.cscfg", "x.cscfg"), code: 3, stderr: "key-derivation iterations"},

		// policy.
		{name: "policy without thumbprints", args: []string{"policy", "apim"}, code: 2, stderr: "give --thumbprint, --cert or --uploaded"},
		{name: "policy bad thumbprint", args: []string{"policy", "apim", "--thumbprint", "\"/><evil/>"}, code: 2, stderr: "want 40 hex digits"},
		{name: "policy status 200", args: []string{"policy", "apim", "--thumbprint", goodThumb, "--status", "200"}, code: 2, stderr: "--status 200"},
		{name: "policy cert of 10000 blocks", args: []string{"policy", "apim", "--cert", "@pem10k.pem"}, code: 3, stderr: "more than 1000 blocks", maxAlloc: pem10kAllocBound},

		// upload, list, delete (Service Management).
		{name: "upload without a management certificate", net: true, args: []string{"upload", "@site.cer", "--auth-cert", ""}, code: 2, stderr: "no management certificate"},
		{name: "upload subscription not a GUID", net: true, args: []string{"upload", "@site.cer", "--subscription", "my-sub"}, code: 2, stderr: "is not a subscription ID"},
		{name: "upload retries out of range", net: true, args: []string{"upload", "@site.cer", "--retries", "99"}, code: 2, stderr: "--retries"},
		{name: "upload zero timeout", net: true, args: []string{"upload", "@site.cer", "--timeout", "0s"}, code: 2, stderr: "--timeout must be positive"},
		{name: "upload weak key", net: true, args: []string{"upload", "@weak1024.cer"}, code: 3, stderr: "RSA with at least 2048 bits"},
		{name: "upload expired certificate", net: true, args: []string{"upload", "@expired.cer"}, code: 3, stderr: "expired on 2020-02-01"},
		{name: "upload one bad file of two", net: true, args: []string{"upload", "@site.cer", "@random.bin"}, code: 3, stderr: "random.bin"},
		{name: "upload service pfx wrong password", net: true, args: []string{"upload", "@site.pfx", "--service", "web", "--in-password", "pass:wrong"}, code: 3, stderr: "wrong password"},
		{name: "upload service pfx huge iterations", net: true, args: with(inpw, "upload", "@huge-iterations.pfx", "--service", "web"), code: 3, stderr: "key-derivation iterations"},
		{name: "upload publish settings deeply nested", net: true, args: []string{"upload", "@site.cer", "--auth-cert", "", "--publish-settings", "@nested.publishsettings"}, code: 3, stderr: "not a publish settings file"},
		{name: "upload publish settings billion laughs", net: true, args: []string{"upload", "@site.cer", "--auth-cert", "", "--publish-settings", "@laughs.publishsettings"}, code: 3, stderr: "not a publish settings file"},
		{name: "upload publish settings of 50 MB", net: true, args: []string{"upload", "@site.cer", "--auth-cert", "", "--publish-settings", "@big50.bin"}, code: 3, stderr: "larger than any certificate"},
		{name: "upload auth cert wrong password", net: true, args: []string{"upload", "@site.cer", "--auth-password", "pass:wrong"}, code: 3, stderr: "wrong password"},
		{name: "upload auth cert without a key", net: true, args: []string{"upload", "@site.cer", "--auth-cert", "@mgmt.cer"}, code: 3, stderr: "holds no private key"},
		{name: "upload to an unknown cloud service", net: true, sent: 1, args: with(inpw, "upload", "@site.pfx", "--service", "nosuch"), code: 5, stderr: "404"},
		{name: "list with an argument", net: true, args: []string{"list", "extra"}, code: 2, stderr: "unknown command"},
		{name: "list unknown cloud", net: true, args: []string{"list", "--cloud", "mars", "--endpoint", ""}, code: 2, stderr: "--cloud"},
		{name: "list CA file not PEM", net: true, args: []string{"list", "--ca-file", "@random.bin"}, code: 3, stderr: "no PEM certificate found"},
		{name: "list CA file of 50 MB", net: true, args: []string{"list", "--ca-file", "@big50.bin"}, code: 3, stderr: "larger than any certificate"},
		{name: "list CA file /dev/zero", net: true, args: []string{"list", "--ca-file", "/dev/zero"}, code: 3, stderr: "no PEM certificate found", maxAlloc: stdinAllocBound},
		{name: "list endpoint not a URL", net: true, args: []string{"list", "--endpoint", "::not a url"}, code: 2, stderr: "endpoint"},
		{name: "delete without --yes", net: true, args: []string{"delete", goodThumb}, code: 2, stderr: "give --yes"},
		{name: "delete neither thumbprint nor file", net: true, args: []string{"delete", "nonsense", "--yes"}, code: 2, stderr: "neither a SHA-1 thumbprint"},
		{name: "delete a PEM of 10000 blocks", net: true, args: []string{"delete", "@pem10k.pem", "--yes"}, code: 3, stderr: "more than 1000 blocks", maxAlloc: pem10kAllocBound},

		// rotate.
		{name: "rotate without --cscfg", net: true, args: with(pw, "rotate", "contoso.net", "--service", "web", "--name", "SSL"), code: 2, stderr: "--cscfg is required"},
		{name: "rotate name with control characters", net: true, args: with(pw, "rotate", ctrlName, "--service", "web", "--name", "SSL", "--cscfg", "x.cscfg"), setup: copyFixture("site.cscfg", "x.cscfg"), code: 3, stderr: "control character"},
		{name: "rotate billion-laughs cscfg", net: true, args: with(pw, "rotate", "contoso.net", "--service", "web", "--name", "SSL", "--cscfg", "x.cscfg"), setup: copyFixture("laughs.cscfg", "x.cscfg"), code: 3, stderr: "document type declaration"},
		{name: "rotate deeply nested cscfg", net: true, args: with(pw, "rotate", "contoso.net", "--service", "web", "--name", "SSL", "--cscfg", "@nested.cscfg"), code: 3, stderr: "nested"},
		{name: "rotate undeclared name", net: true, args: with(pw, "rotate", "contoso.net", "--service", "web", "--name", "Nope", "--cscfg", "x.cscfg"), setup: copyFixture("site.cscfg", "x.cscfg"), code: 3, stderr: "Nope"},

		// apim.
		{name: "apim without a subcommand", net: true, args: []string{"apim"}, code: 2, stderr: "give a subcommand"},
		{name: "apim upload a .cer", net: true, args: []string{"apim", "upload", "@site.cer", "--resource-group", "rg-api", "--service", "contoso-apim"}, code: 3, stderr: "is not a .pfx"},
		{name: "apim upload bad id", net: true, args: with(inpw, "apim", "upload", "@site.pfx", "--resource-group", "rg-api", "--service", "contoso-apim", "--id", "9-bad-"), code: 2, stderr: "--id"},
		{name: "apim upload huge iterations", net: true, args: with(inpw, "apim", "upload", "@huge-iterations.pfx", "--resource-group", "rg-api", "--service", "contoso-apim"), code: 3, stderr: "key-derivation iterations"},
		{name: "apim list without resource group", net: true, args: []string{"apim", "list", "--service", "contoso-apim"}, code: 2, stderr: "--resource-group is required"},
		{name: "apim list wrong token", net: true, sent: 1, args: []string{"apim", "list", "--resource-group", "rg-api", "--service", "contoso-apim", "--access-token", "pass:not-the-token", "--retries", "0"}, code: 5, stderr: "401"},
		{name: "apim delete without --yes", net: true, args: []string{"apim", "delete", "some-id", "--resource-group", "rg-api", "--service", "contoso-apim"}, code: 2, stderr: "give --yes"},

		{name: "upload empty --service", net: true, args: []string{"upload", "@site.cer", "--service", ""}, code: 2, stderr: "--service"},
		{name: "upload --cloud mars beside an endpoint", net: true, args: []string{"upload", "@site.cer", "--cloud", "mars"}, code: 2, stderr: "--cloud: unknown cloud \"mars\""},
		// vpn (refused before anything is written; a read where the gateway must be seen).
		{name: "vpn without a subcommand", args: []string{"vpn"}, code: 2, stderr: "give a subcommand"},
		{name: "vpn root add without --gateway", net: true, args: []string{"vpn", "root", "add", "@site.cer", "--allow-leaf"}, code: 2, stderr: "--gateway is required"},
		{name: "vpn root add bad --gateway", net: true, args: []string{"vpn", "root", "add", "@site.cer", "--allow-leaf", "--gateway", "rg-net"}, code: 2, stderr: "is not RESOURCE-GROUP/NAME"},
		{name: "vpn root add a leaf", net: true, args: []string{"vpn", "root", "add", "@site.cer", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "is not a certificate authority"},
		{name: "vpn root add truncated", net: true, args: []string{"vpn", "root", "add", "@truncated.cer", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "truncated.cer"},
		{name: "vpn root add random bytes", net: true, args: []string{"vpn", "root", "add", "@random.bin", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "random.bin"},
		{name: "vpn root add weak key", net: true, args: []string{"vpn", "root", "add", "@weak1024.cer", "--allow-leaf", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "at least 2048 bits"},
		{name: "vpn root add expired", net: true, args: []string{"vpn", "root", "add", "@expired.cer", "--allow-leaf", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "expired on 2020-02-01"},
		{name: "vpn root add ECDSA", net: true, args: []string{"vpn", "root", "add", "@ec-root.cer", "--gateway", "rg-net/vpngw"}, code: 3, stderr: "the key is ECDSA; VPN gateways take RSA root certificates"},
		{name: "vpn root data expired", args: []string{"vpn", "root", "data", "@expired.cer", "--allow-leaf"}, code: 3, stderr: "expired on 2020-02-01"},
		{name: "vpn root add bad --name", net: true, args: []string{"vpn", "root", "add", "@site.cer", "--allow-leaf", "--gateway", "rg-net/vpngw", "--name", "a/b"}, code: 2, stderr: "--name"},
		{name: "vpn root add unknown gateway", net: true, sent: 1, args: []string{"vpn", "root", "add", "@site.cer", "--allow-leaf", "--gateway", "rg-net/nope", "--retries", "0"}, code: 5, stderr: "ResourceNotFound"},
		{name: "vpn root data of 50 MB", args: []string{"vpn", "root", "data", "@big50.bin"}, code: 3, stderr: "big50.bin"},
		{name: "vpn root remove without --yes", net: true, args: []string{"vpn", "root", "remove", "r1", "--gateway", "rg-net/vpngw"}, code: 2, stderr: "give --yes"},
		{name: "vpn root remove name and thumbprint", net: true, args: []string{"vpn", "root", "remove", "r1", "--thumbprint", goodThumb, "--gateway", "rg-net/vpngw", "--yes"}, code: 2, stderr: "not both"},
		{name: "vpn revoke add bad thumbprint", net: true, args: []string{"vpn", "revoke", "add", "--thumbprint", "\"/><x", "--gateway", "rg-net/vpngw"}, code: 2, stderr: "--thumbprint"},
		{name: "vpn revoke remove wrong token", net: true, sent: 1, args: []string{"vpn", "revoke", "remove", "--thumbprint", goodThumb, "--gateway", "rg-net/vpngw", "--access-token", "pass:not-the-token", "--retries", "0"}, code: 5, stderr: "401"},
		{name: "vpn root list empty --arm-endpoint", net: true, args: []string{"vpn", "root", "list", "--gateway", "rg-net/vpngw", "--arm-endpoint", ""}, code: 2, stderr: "the URL is empty"},
		{name: "vpn root list port out of range", net: true, args: []string{"vpn", "root", "list", "--gateway", "rg-net/vpngw", "--arm-endpoint", "https://127.0.0.1:99999"}, code: 2, stderr: "the port is not a number from 1 to 65535"},
		// entra (ci-deploy is the emulator's application).
		{name: "entra list empty --graph-endpoint", net: true, args: []string{"entra", "list", "--app", ciDeploy, "--graph-endpoint", ""}, code: 2, stderr: "the URL is empty"},
		{name: "entra add .cer with a bad password source", net: true, args: []string{"entra", "add", "@site.cer", "--app", ciDeploy, "--in-password", "bogus:x"}, code: 2, stderr: "--in-password: not a password source"},
		{name: "entra add without --app", net: true, args: []string{"entra", "add", "@site.cer"}, code: 2, stderr: "--app is required"},
		{name: "entra add app not a GUID", net: true, args: []string{"entra", "add", "@site.cer", "--app", "ci-deploy"}, code: 2, stderr: "is not an app id or object id"},
		{name: "entra add weak key", net: true, args: []string{"entra", "add", "@weak1024.cer", "--app", ciDeploy}, code: 3, stderr: "at least 2048 bits"},
		{name: "entra add expired", net: true, args: []string{"entra", "add", "@expired.cer", "--app", ciDeploy}, code: 3, stderr: "expired on 2020-02-01"},
		{name: "entra add of 50 MB", net: true, args: []string{"entra", "add", "@big50.bin", "--app", ciDeploy}, code: 3, stderr: "larger than any certificate"},
		{name: "entra add wrong password", net: true, args: []string{"entra", "add", "@site.pfx", "--in-password", "pass:wrong", "--app", ciDeploy}, code: 3, stderr: "wrong password"},
		{name: "entra add proof without key", net: true, args: []string{"entra", "add", "@site.cer", "--app", ciDeploy, "--proof-cert", "@mgmt.cer"}, code: 3, stderr: "holds no private key"},
		{name: "entra add proof huge iterations", net: true, args: []string{"entra", "add", "@site.cer", "--app", ciDeploy, "--proof-cert", "@huge-iterations.pfx", "--proof-password", "env:RELPW"}, code: 3, stderr: "key-derivation iterations"},
		{name: "entra add display name with control characters", net: true, args: []string{"entra", "add", "@site.cer", "--app", ciDeploy, "--display-name", ctrlName}, code: 2, stderr: "--display-name"},
		{name: "entra add bad end", net: true, args: []string{"entra", "add", "@site.cer", "--app", ciDeploy, "--end", "soon"}, code: 2, stderr: `--end "soon"`},
		{name: "entra list unknown app", net: true, sent: 2, args: []string{"entra", "list", "--app", "00000000-0000-4000-8000-000000000000", "--retries", "0"}, code: 5, stderr: "Request_ResourceNotFound"},
		{name: "entra list wrong token", net: true, sent: 1, args: []string{"entra", "list", "--app", ciDeploy, "--access-token", "pass:not-the-token", "--retries", "0"}, code: 5, stderr: "401"},
		{name: "entra list bad cloud", net: true, args: []string{"entra", "list", "--app", ciDeploy, "--cloud", "mars"}, code: 2, stderr: "--cloud"},
		{name: "entra remove without --yes", net: true, args: []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", goodThumb}, code: 2, stderr: "give --yes"},
		{name: "entra remove bad thumbprint", net: true, args: []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", "xyz", "--yes"}, code: 2, stderr: "not a SHA-1 thumbprint"},
		{name: "entra remove key id and thumbprint", net: true, args: []string{"entra", "remove", "--app", ciDeploy, "--thumbprint", goodThumb, "--key-id", "00000000-0000-4000-8000-000000000000", "--yes"}, code: 2, stderr: "one of them"},
		{name: "entra signin without tenant", net: true, args: with(inpw, "entra", "signin", "@site.pfx", "--app", ciDeploy), code: 2, stderr: "--tenant is required"},
		{name: "entra signin without key", net: true, args: []string{"entra", "signin", "@site.cer", "--app", ciDeploy, "--tenant", "t"}, code: 3, stderr: "holds no private key"},
		{name: "entra signin wrong password", net: true, args: []string{"entra", "signin", "@site.pfx", "--in-password", "pass:wrong", "--app", ciDeploy, "--tenant", "t"}, code: 3, stderr: "wrong password"},

		// emulator (each refused before it listens).
		{name: "emulator corrupt state file", args: []string{"emulator", "--listen", "127.0.0.1:0", "--state", "state.json"}, setup: copyFixture("state-corrupt.json", "state.json"), code: 3, stderr: "state file state.json"},
		{name: "emulator no limit", args: []string{"emulator", "--listen", "127.0.0.1:0", "--max-management-certs", "0"}, code: 2, stderr: "--max-management-certs"},
		{name: "emulator bad fault", args: []string{"emulator", "--listen", "127.0.0.1:0", "--fault", "explode:3"}, code: 2, stderr: "--fault"},
		{name: "emulator trust of 50 MB", args: []string{"emulator", "--listen", "127.0.0.1:0", "--trust", "@big50.bin"}, code: 3, stderr: "larger than any certificate"},
		{name: "emulator bad listen address", args: []string{"emulator", "--listen", "no-port"}, code: 2, stderr: "no-port"},
		{name: "emulator bad subscription", args: []string{"emulator", "--listen", "127.0.0.1:0", "--subscription", "a/b"}, code: 2, stderr: "a/b"},
	}
}

// TestBadInputMatrix runs every bad invocation through run() in a fresh
// working directory and checks the exit code, the one error line, that
// stdout stays empty for exit 2 and 3, that nothing panicked or hung, that
// the process allocated no more than the bound meanwhile, that the
// directory is byte for byte as it was, that the fixture files are
// untouched, and (for commands that talk to Azure) how many requests were
// sent. Run with -v to see the time and allocation of each case.
func TestBadInputMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the bad-input matrix takes a few seconds")
	}
	fx := reliabilityFixtures(t)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	emu := startRelEmulator(t, fx, nil)
	fixturesBefore := dirManifest(t, fx.dir)
	cases := badCases()
	if len(cases) < 50 {
		t.Fatalf("%d cases, the matrix promises at least 50", len(cases))
	}
	seen := map[string]bool{}
	var maxAlloc uint64
	var maxTime time.Duration
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			if tc.setup != nil {
				tc.setup(t, fx)
			}
			before := dirManifest(t, wd)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = expandFixture(fx, a)
			}
			env := map[string]string{"RELPW": relPassword}
			if tc.net {
				env = emu.env
			}
			var stdin io.Reader
			if tc.stdin != nil {
				stdin = tc.stdin()
			}
			sentBefore := len(emu.srv.Requests())
			r := invoke(t, args, stdin, env, nil)
			switch {
			case r.panicked != nil:
				t.Fatalf("panicked: %v", r.panicked)
			case r.timedOut:
				t.Fatalf("still running after %s", invokeBound)
			}
			bound := uint64(defaultAllocBound)
			if tc.maxAlloc != 0 {
				bound = tc.maxAlloc
			}
			t.Logf("exit %d in %v, %.1f MiB allocated (bound %d MiB)", r.code, r.elapsed.Round(time.Millisecond), float64(r.allocated)/(1<<20), bound>>20)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			checkErrorLines(t, r.stderr)
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderr, r.stderr)
			}
			if strings.ContainsRune(r.stderr, 0x1b) || strings.ContainsRune(r.stderr, 0) {
				t.Errorf("stderr carries a raw control character: %q", r.stderr)
			}
			if (r.code == cmdutil.ExitUsage || r.code == cmdutil.ExitBadInput) && r.stdout != "" {
				t.Errorf("stdout is not empty on exit %d: %q", r.code, r.stdout)
			}
			if r.allocated > bound {
				t.Errorf("allocated %d bytes, more than the bound of %d", r.allocated, bound)
			}
			if after := dirManifest(t, wd); after != before {
				t.Errorf("the working directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if n := len(emu.srv.Requests()) - sentBefore; n != tc.sent {
				t.Errorf("%d requests reached the emulator, want %d", n, tc.sent)
			}
			if r.allocated > maxAlloc {
				maxAlloc = r.allocated
			}
			maxTime = max(maxTime, r.elapsed)
		})
	}
	if after := dirManifest(t, fx.dir); after != fixturesBefore {
		t.Errorf("an input file changed:\nbefore:\n%s\nafter:\n%s", fixturesBefore, after)
	}
	if n := len(emu.srv.ASM.ManagementCertificates()); n != 1 {
		t.Errorf("the subscription holds %d management certificates after the matrix, want the 1 it started with", n)
	}
	if n := len(emu.srv.ASM.ServiceCertificates("web")); n != 0 {
		t.Errorf("cloud service web holds %d certificates after the matrix, want 0", n)
	}
	t.Logf("%d bad invocations; slowest %v; most allocated %.1f MiB", len(cases), maxTime.Round(time.Millisecond), float64(maxAlloc)/(1<<20))
}

func expandFixture(fx *relFixtures, a string) string {
	switch {
	case strings.HasPrefix(a, "@"):
		return fx.path(a[1:])
	case strings.HasPrefix(a, "file:@"):
		return "file:" + fx.path(a[len("file:@"):])
	}
	return a
}

// TestEmulatorPortInUse: the emulator refuses an address in use with one
// line naming it, and writes nothing.
func TestEmulatorPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wd := t.TempDir()
	t.Chdir(wd)
	addr := ln.Addr().String()
	r := invoke(t, []string{"emulator", "--listen", addr}, nil, nil, nil)
	if r.code != cmdutil.ExitBadInput || !strings.Contains(r.stderr, "cannot listen on "+addr) {
		t.Errorf("emulator on a port in use: exit %d, stderr %q; want 3 naming %s", r.code, r.stderr, addr)
	}
	checkErrorLines(t, r.stderr)
	if names := dirNames(t, wd); len(names) != 0 {
		t.Errorf("files written: %v", names)
	}
}
