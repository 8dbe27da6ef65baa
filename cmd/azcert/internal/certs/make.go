package certs

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
)

// maxDays is the longest validity Make accepts for --days: beyond 100
// years X.509 tools stop agreeing on what the dates mean.
const maxDays = 100 * 365

// MakeOptions says which certificate Make makes and where it writes it.
// The caller parses the choices among names (Purpose, Profile) from its
// own flags; Make checks everything else. Errors name the flags of azcert
// new (--days, --not-after, --cer-format, --password, and --name unless
// NameFlag says otherwise), so a command that makes a certificate keeps
// those flag names.
type MakeOptions struct {
	// Factory gives the clock (Now), the randomness (RandSource), --debug
	// and the streams a password prompt uses. It is required.
	Factory *cmdutil.Factory

	// Names are the names as the user gave them; the first is the subject.
	Names []string
	// KeySize is the RSA key size in bits; 0 means certgen.DefaultKeySize.
	KeySize int
	// Purpose selects the key usages and checks; "" means a service
	// certificate.
	Purpose certgen.Purpose
	// AllowAzureDomain permits a domain Azure owns in a service certificate.
	AllowAzureDomain bool
	// CA makes a self-signed root certificate authority instead, whose
	// common name is Names[0] (any text, not a domain); Purpose is unused.
	CA bool
	// Issuer, if set, signs the certificate, and the .pfx carries its
	// certificate after the new one (the chain).
	Issuer *certgen.Issuer

	// Days is the validity from now, 1 to 100 years of days. NotAfter, if
	// not "", is the end of validity instead: YYYY-MM-DD (the end of that
	// day, UTC) or RFC 3339.
	Days     int
	NotAfter string
	// DaysGiven reports that Days was asked for, not a default: with an
	// Issuer, a validity asked for that ends after the issuer's is
	// refused, where a default one is cut to it.
	DaysGiven bool

	// Profile is the .pfx encryption, as export.ParseProfile returns it.
	Profile export.Profile
	// CerFormat is the encoding of the .cer: "der" or "pem".
	CerFormat string
	// PEM also writes <name>.crt.pem and <name>.key.pem.
	PEM bool

	// OutDir is the directory of the files.
	OutDir string
	// Name is the base name of the files; "" means DefaultBaseName of the
	// first name. NameFlag is the flag that gave it, for its error; ""
	// means "name".
	Name     string
	NameFlag string

	// Password is the .pfx password source (secret.Syntax); with
	// "generate" the password is also written to <name>.pfx.password.
	Password string
	// Force replaces existing files.
	Force bool
}

// MakePlan is a certificate that PlanMake has checked and named but not
// made: nothing is generated, asked for or written until Make.
type MakePlan struct {
	// Request is the checked request for certgen.Generate; Request.Now is
	// the time the certificate counts from.
	Request certgen.Request
	// CA, for a root (MakeOptions.CA), is the checked request for
	// certgen.GenerateCA instead of Request.
	CA *certgen.CARequest
	// Files are the paths Make writes, by kind: "pfx" and "cer", with PEM
	// "certPem" and "keyPem", with the generate source "password" (the
	// keys of azcert new's JSON).
	Files map[string]string

	opts MakeOptions
}

// Made is a certificate Make made, with the files it wrote.
type Made struct {
	// Result is the key, the certificate and its DER encoding.
	certgen.Result
	Names   []certgen.Name
	Purpose certgen.Purpose
	Profile export.Profile
	// PFX is the .pfx as written, for an upload.
	PFX []byte
	// Password is the .pfx password and whether it was generated.
	Password secret.Password
	// Files are the paths written, by kind, as in MakePlan.Files.
	Files map[string]string
	// CA reports a root (MakeOptions.CA); Issuer is the root that signed
	// the certificate, nil for a self-signed one.
	CA     bool
	Issuer *certgen.Issuer
}

// fileKinds is the order files are checked and written in.
var fileKinds = []string{"pfx", "cer", "certPem", "keyPem", "password"}

// Make makes a key and a self-signed certificate and writes their files,
// the one way azcert does (azcert new, and commands that make a
// certificate on their way): request -> validate -> check the files are
// writable -> password -> generate -> encode -> write. Every check of the
// input (names, key size, validity, file names, existing files) comes
// before a password is asked for or a key is generated, so a mistake costs
// nothing; files are written only when everything before succeeded.
//
// It writes <out-dir>/<name>.pfx (key and certificate, mode 0600) and
// <name>.cer (mode 0644), with PEM <name>.crt.pem and <name>.key.pem, and
// with the generate source <name>.pfx.password; existing files are
// replaced only with Force. Errors are *cmdutil.UsageError,
// *cmdutil.InputError, or the errors of certgen, export and secret, as
// azcert new reports them. Make is PlanMake followed by MakePlan.Make, for
// a caller that must check the input or know the paths first.
func Make(opts MakeOptions) (*Made, error) {
	p, err := PlanMake(opts)
	if err != nil {
		return nil, err
	}
	return p.Make()
}

// PlanMake does the first half of Make without side effects: it checks
// the options (cer format, names, validity, key size and purpose, file
// name) and names the files.
func PlanMake(opts MakeOptions) (*MakePlan, error) {
	if err := checkCerFormat(opts.CerFormat); err != nil {
		return nil, err
	}
	if opts.CA {
		return planCA(opts)
	}
	names, err := certgen.ParseNames(opts.Names)
	if err != nil {
		return nil, err
	}
	req, err := makeRequest(opts, names)
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		if _, ok := err.(*certgen.AzureDomainError); ok {
			return nil, cmdutil.WithHint(err, "use your custom domain (e.g. contoso.net) and point it at the Azure name with a CNAME; --allow-azure-domain overrides this check")
		}
		return nil, err
	}
	files, err := makeFiles(opts, DefaultBaseName(names[0]))
	if err != nil {
		return nil, err
	}
	return &MakePlan{Request: req, Files: files, opts: opts}, nil
}

// planCA is PlanMake for a root: Names[0] is its common name.
func planCA(opts MakeOptions) (*MakePlan, error) {
	if len(opts.Names) != 1 {
		return nil, cmdutil.UsageErrorf("--ca takes one common name (quote it if it has spaces), got %d", len(opts.Names))
	}
	cn := opts.Names[0]
	if err := certgen.ValidateCommonName(cn); err != nil {
		return nil, err
	}
	req, err := makeRequest(opts, nil)
	if err != nil {
		return nil, err
	}
	ca := &certgen.CARequest{CommonName: cn, KeySize: opts.KeySize, Now: req.Now, NotAfter: req.NotAfter, Rand: req.Rand}
	if err := ca.Validate(); err != nil {
		return nil, err
	}
	files, err := makeFiles(opts, fileSafe(cn))
	if err != nil {
		return nil, err
	}
	return &MakePlan{Request: req, CA: ca, Files: files, opts: opts}, nil
}

// fileSafe turns a common name into a file name: every character other
// than a letter, a digit, '.', '_' or '-' becomes '-'.
func fileSafe(cn string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return r
		}
		return '-'
	}, cn)
}

// Make does the second half of Make: it checks the files can be written,
// gets the password, generates the key and certificate, and writes the
// files.
func (p *MakePlan) Make() (*Made, error) {
	o, f := p.opts, p.opts.Factory
	if err := export.CheckWritable(p.paths(), o.Force); err != nil {
		return nil, err
	}
	pw, err := p.password()
	if err != nil {
		return nil, err
	}
	if f.Debug {
		fmt.Fprintf(f.IO.ErrOut, "azcert: debug: generating a %d-bit RSA key\n", o.KeySize)
	}
	var res *certgen.Result
	if p.CA != nil {
		res, err = certgen.GenerateCA(*p.CA)
	} else {
		res, err = certgen.Generate(p.Request)
	}
	if err != nil {
		return nil, err
	}
	m, out, err := p.finish(res, pw)
	if err != nil {
		return nil, err
	}
	if err := export.WriteFiles(out, o.Force); err != nil {
		return nil, err
	}
	return m, nil
}

// password resolves the .pfx password source (with generate, a new
// password each call).
func (p *MakePlan) password() (secret.Password, error) {
	o := p.opts
	return secret.Resolve(o.Factory, secret.Request{
		Flag: "password", Spec: o.Password, EnvVar: "AZCERT_PASSWORD",
		Purpose: filepath.Base(p.Files["pfx"]), Create: true, AllowGenerate: true,
	})
}

// finish encodes a generated key and certificate: the .pfx (with the
// issuer's certificate after it, if any) and the contents of every file.
func (p *MakePlan) finish(res *certgen.Result, pw secret.Password) (*Made, []export.File, error) {
	o := p.opts
	var chain []*x509.Certificate
	if o.Issuer != nil {
		chain = []*x509.Certificate{o.Issuer.Cert}
	}
	m := &Made{Result: *res, Names: p.Request.Names, Purpose: p.Request.Purpose, Profile: o.Profile, Password: pw, Files: p.Files, CA: p.CA != nil, Issuer: o.Issuer}
	var err error
	m.PFX, err = export.EncodePFX(res.Key, res.Cert, chain, export.PFXOptions{Profile: o.Profile, Password: pw.Value, Rand: o.Factory.RandSource})
	if err != nil {
		return nil, nil, err
	}
	out, err := p.encode(m)
	if err != nil {
		return nil, nil, err
	}
	return m, out, nil
}

// checkCerFormat refuses a --cer-format other than der or pem.
func checkCerFormat(s string) error {
	if s != "der" && s != "pem" {
		return cmdutil.UsageErrorf("--cer-format %q: want der or pem", s)
	}
	return nil
}

// makeRequest is the request for the names, with its validity from
// NotAfter or Days.
func makeRequest(o MakeOptions, names []certgen.Name) (certgen.Request, error) {
	now := o.Factory.Now()
	req := certgen.Request{
		Names:            names,
		KeySize:          o.KeySize,
		Purpose:          o.Purpose,
		AllowAzureDomain: o.AllowAzureDomain,
		Now:              now,
		Rand:             o.Factory.RandSource,
		Issuer:           o.Issuer,
	}
	switch {
	case o.NotAfter != "":
		t, err := parseDate(o.NotAfter)
		if err != nil {
			return req, cmdutil.UsageErrorf("--not-after: %w", err)
		}
		req.NotAfter = t
	case o.Days <= 0:
		return req, cmdutil.InputErrorf("--days %d: the certificate must be valid for at least one day", o.Days)
	case o.Days > maxDays:
		return req, cmdutil.InputErrorf("--days %d: more than 100 years is not a validity period X.509 tools handle well", o.Days)
	default:
		req.NotAfter = now.Add(time.Duration(o.Days) * 24 * time.Hour)
	}
	if is := o.Issuer; is != nil && (o.NotAfter != "" || o.DaysGiven) && req.NotAfter.After(is.Cert.NotAfter) {
		flag := "--days"
		if o.NotAfter != "" {
			flag = "--not-after"
		}
		return req, cmdutil.WithHint(cmdutil.InputErrorf("%s: the certificate would end on %s, after its issuer %s expires (%s); an issued certificate must lie within its issuer's validity",
			flag, req.NotAfter.UTC().Format(time.DateOnly), cmdutil.Printable(is.Cert.Subject.String()), is.Cert.NotAfter.UTC().Format(time.DateOnly)),
			"leave %s out to end with the issuer, or issue from a longer-lived root", flag)
	}
	return req, nil
}

// makeFiles names the files of a certificate whose default base name is
// def.
func makeFiles(o MakeOptions, def string) (map[string]string, error) {
	base, flag := o.Name, o.NameFlag
	if flag == "" {
		flag = "name"
	}
	switch {
	case base == "":
		base = def
	case strings.ContainsAny(base, `/\`) || base == "." || base == "..":
		return nil, cmdutil.InputErrorf("--%s %q: give a file name without a directory; use --out-dir for the directory", flag, base)
	case !utf8.ValidString(base) || strings.ContainsFunc(base, unicode.IsControl):
		return nil, cmdutil.InputErrorf("--%s %q: a file name with control characters would garble every listing of it", flag, base)
	}
	path := func(ext string) string { return filepath.Join(o.OutDir, base+ext) }
	files := map[string]string{"pfx": path(".pfx"), "cer": path(".cer")}
	if o.PEM {
		files["certPem"] = path(".crt.pem")
		files["keyPem"] = path(".key.pem")
	}
	if o.Password == "generate" {
		files["password"] = path(".pfx.password")
	}
	return files, nil
}

// paths are the plan's files in the order they are written.
func (p *MakePlan) paths() []string {
	var paths []string
	for _, k := range fileKinds {
		if path, ok := p.Files[k]; ok {
			paths = append(paths, path)
		}
	}
	return paths
}

// encode is the contents of the files of m, in the order of fileKinds.
func (p *MakePlan) encode(m *Made) ([]export.File, error) {
	cer := m.DER
	if p.opts.CerFormat == "pem" {
		cer = export.CertPEM(m.Cert)
	}
	out := []export.File{
		{Path: p.Files["pfx"], Data: m.PFX, Mode: export.ModeSecret},
		{Path: p.Files["cer"], Data: cer, Mode: export.ModePublic},
	}
	if p.opts.PEM {
		keyPEM, err := export.KeyPEM(m.Key)
		if err != nil {
			return nil, err
		}
		out = append(out,
			export.File{Path: p.Files["certPem"], Data: export.CertPEM(m.Cert), Mode: export.ModePublic},
			export.File{Path: p.Files["keyPem"], Data: keyPEM, Mode: export.ModeSecret})
	}
	if m.Password.Generated {
		out = append(out, export.File{Path: p.Files["password"], Data: []byte(m.Password.Value + "\n"), Mode: export.ModeSecret})
	}
	return out, nil
}

// DefaultBaseName turns the first name into a file name: "*" becomes
// "_wildcard" and ":" (IPv6) becomes "-", so the name is valid on Windows too.
func DefaultBaseName(n certgen.Name) string {
	s := n.ASCII
	if strings.HasPrefix(s, "*.") {
		s = "_wildcard" + s[1:]
	}
	return strings.ReplaceAll(s, ":", "-")
}

// parseDate reads YYYY-MM-DD (end of that day, UTC) or RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD or RFC 3339 (2027-06-30T12:00:00Z)", s)
}
