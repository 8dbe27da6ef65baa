package certs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// NewOptions is what `azcert new` runs with: its flags, the Changed bits it
// needs, and the Factory.
type NewOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory // Now, RandSource, Debug, Quiet, JSON()
	Ctx     context.Context

	Names            []string
	KeySize          int
	Days             int
	DaysGiven        bool // --days was given
	NotAfter         string
	NotAfterGiven    bool // --not-after was given
	Purpose          string
	PurposeGiven     bool // --for was given
	AllowAzureDomain bool
	CA               bool
	Issuer           string
	IssuerPassword   string
	Count            int
	CountGiven       bool // --count was given
	NameTemplate     string
	OutDir           string
	Name             string
	PEM              bool
	Force            bool
	PFXProfile       string
	CerFormat        string
	Password         string
}

const newLong = `Create one RSA key and one self-signed X.509 v3 certificate, and write
<name>.pfx (key + certificate, mode 0600) and <name>.cer (public certificate,
mode 0644).

The certificate follows New-SelfSignedCertificate, which Azure's documentation
assumes: RSA 2048, SHA-256, valid from 10 minutes ago for 365 days, key usage
digitalSignature + keyEncipherment, extended key usage serverAuth + clientAuth,
CA:FALSE, a random 16-byte serial and a subject key identifier. The subject is
CN=<first domain>; every name goes into the subject alternative names.

--for says what the certificate is for. It sets the key usages (server,
client, apim-backend and entra narrow the ones above to what they do) and
the checks and notes that go with them:

  service       SSL certificate of a cloud service on your custom domain
                (the default): the usages above, as New-SelfSignedCertificate
                gives them
  server        any other TLS server, e.g. a back end behind API Management:
                digitalSignature + keyEncipherment, serverAuth only
  client        a caller's client certificate, e.g. one an API Management
                policy checks (azcert policy apim --cert): digitalSignature,
                clientAuth only
  management    a management certificate for the Service Management API:
                the usages above; whoever holds its .pfx can manage every
                subscription it is registered with
  apim-backend  the client certificate API Management presents to a back end
                that requires mutual TLS (azcert apim upload):
                digitalSignature, clientAuth only
  entra         the certificate credential of a Microsoft Entra ID
                application (service principal), which signs in with it:
                digitalSignature, clientAuth only; a year by default, the
                longest Microsoft advises for an application credential;
                register its .cer with azcert entra add

Names may be DNS names, wildcards (*.contoso.net) and IP addresses. Unicode
names are written in their IDNA form (xn--...). For a service certificate
(the default) a domain Azure owns, such as *.cloudapp.net, is refused: the
certificate must name your custom domain.

Point-to-site VPN (Microsoft's guide makes these with
New-SelfSignedCertificate): --ca makes a self-signed root certificate
authority whose common name is the one argument (any text): CA:TRUE with
a path length of 0, key usage keyCertSign + cRLSign, SHA-256, ten years
unless --days or --not-after says otherwise. Its .cer is what the VPN
gateway trusts; its .pfx issues client certificates and must stay secret.
--issuer ROOT.pfx (password from --issuer-password, same sources, else
AZCERT_ISSUER_PASSWORD) signs the new certificate with that root instead
of self-signing it: --for client by default (clientAuth, digitalSignature +
keyEncipherment as Microsoft's guide gives them) or --for server; the
authority key identifier is the root's, the default validity is cut to end
with the root's (a --days or --not-after that ends later is refused), and
the .pfx carries the chain (the key, the certificate, then the
root's certificate) in both PFX profiles. A root that has expired, is not a
CA or has no key is refused.

--count N --name-template T makes N certificates (1 to 1000) in one call,
one set of files each, instead of naming them as arguments. In T, {n} is
the number from 1 (user{n}: user1, user2, ...) and {n:0W} the number
zero-padded to W digits (user-{n:03}: user-001, ...); exactly one of them,
no other braces. Every name and file is checked before any key is made,
the keys are made in parallel, and the files are written all or none. One
password protects every .pfx; with --password generate each gets its own,
in <name>.pfx.password.

The .pfx password comes from --password (pass:TEXT, env:VAR, file:PATH,
fd:N, stdin, prompt, generate, none), else AZCERT_PASSWORD, else a prompt
on a terminal. Existing files are never replaced without --force, and that
is checked before any key is generated.`

const newExample = `  # Service certificate for a custom domain, password from a variable
  azcert new contoso.net --password env:PFX_PASSWORD

  # Several names and a wildcard; the first is the subject
  azcert new contoso.net www.contoso.net '*.api.contoso.net' --password prompt

  # A management certificate with a generated password in mgmt.pfx.password
  azcert new azcert-mgmt --for management --name mgmt --password generate

  # The client certificate API Management presents to its back end
  azcert new apim-to-backend.contoso.net --for apim-backend --password env:PW

  # The certificate credential of an Entra ID application, PEM for az
  azcert new azcert-ci-app --for entra --pem --password env:PW

  # A caller's client certificate, for an API Management policy
  azcert new partner-a.contoso.net --for client --password env:PW

  # A TLS server certificate for a VM's Azure DNS name
  azcert new vm1.westeurope.cloudapp.azure.com --for server --password env:PW

  # 3072-bit key, two years, PEM files too, into ./certs
  azcert new contoso.net --key-size 3072 --days 730 --pem --out-dir certs --password env:PW

  # Point-to-site VPN: a root, then a client certificate issued by it
  azcert new --ca 'Contoso P2S Root' --name p2s-root --password env:ROOT_PW
  azcert new alice --issuer p2s-root.pfx --issuer-password env:ROOT_PW --password env:PW

  # 100 client certificates, each .pfx with its own generated password
  azcert new --issuer p2s-root.pfx --issuer-password env:ROOT_PW --count 100 --name-template 'user-{n:03}' --out-dir users --password generate

  # Script-friendly: JSON on stdout
  azcert new contoso.net --password env:PW -o json`

// NewCmdNew makes `azcert new`. runF, if not nil, replaces NewRun.
func NewCmdNew(f *cmdutil.Factory, runF func(*NewOptions) error) *cobra.Command {
	opts := &NewOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "new {<domain> [<domain>...] | --ca <name> | --count N --name-template T}",
		Short:   "Create an RSA key and a self-signed certificate (.pfx + .cer)",
		Long:    newLong,
		Example: newExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !cmd.Flags().Changed("count") {
				return cmdutil.UsageErrorf("give at least one domain name, e.g. azcert new contoso.net")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Names = args
			opts.DaysGiven = cmd.Flags().Changed("days")
			opts.NotAfterGiven = cmd.Flags().Changed("not-after")
			opts.PurposeGiven = cmd.Flags().Changed("for")
			opts.CountGiven = cmd.Flags().Changed("count")
			if runF != nil {
				return runF(opts)
			}
			return NewRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.KeySize, "key-size", certgen.DefaultKeySize, "RSA key size in bits: 2048, 3072 or 4096")
	fl.IntVar(&opts.Days, "days", 365, "validity in days from now")
	fl.StringVar(&opts.NotAfter, "not-after", "", "end of validity instead of --days (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&opts.Purpose, "for", string(certgen.PurposeService), "what the certificate is for: "+orList(certgen.PurposeNames()))
	fl.BoolVar(&opts.AllowAzureDomain, "allow-azure-domain", false, "allow a domain Azure owns (*.cloudapp.net, ...) in a service certificate")
	fl.BoolVar(&opts.CA, "ca", false, "make a self-signed root certificate authority whose common name is the argument (10 years by default)")
	fl.StringVar(&opts.Issuer, "issuer", "", "sign with this root (.pfx with its key) instead of self-signing; --for client unless --for server")
	fl.StringVar(&opts.IssuerPassword, "issuer-password", "", "password source for the --issuer .pfx: "+secret.InSyntax)
	fl.IntVar(&opts.Count, "count", 0, fmt.Sprintf("make this many certificates (1 to %d), named by --name-template", MaxCount))
	fl.StringVar(&opts.NameTemplate, "name-template", "", "the names of --count certificates, e.g. user{n} or user-{n:03}")
	fl.StringVar(&opts.OutDir, "out-dir", ".", "directory for the files")
	fl.StringVar(&opts.Name, "name", "", `base name of the files (default: the first domain, "*" written as "_wildcard")`)
	fl.BoolVar(&opts.PEM, "pem", false, "also write <name>.crt.pem and <name>.key.pem")
	fl.BoolVar(&opts.Force, "force", false, "overwrite existing files")
	fl.StringVar(&opts.PFXProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption: compat (3DES, every Windows and Azure) or modern (AES-256; not Cloud Services)")
	fl.StringVar(&opts.CerFormat, "cer-format", "der", "encoding of the .cer: der or pem")
	fl.StringVar(&opts.Password, "password", "", "password source for the .pfx: "+secret.Syntax)
	_ = cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions(certgen.PurposeNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cer-format", cobra.FixedCompletions([]string{"der", "pem"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("key-size", cobra.FixedCompletions([]string{"2048", "3072", "4096"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("out-dir")
	_ = cmd.MarkFlagFilename("issuer", "pfx", "p12")
	return cmd
}

// newResult is the JSON shape of `azcert new -o json`.
type newResult struct {
	Subject      string            `json:"subject"`
	Names        []string          `json:"names"`
	NamesUnicode []string          `json:"namesUnicode,omitempty"`
	For          string            `json:"for"`
	Issuer       string            `json:"issuer,omitempty"`
	KeySize      int               `json:"keySize"`
	NotBefore    time.Time         `json:"notBefore"`
	NotAfter     time.Time         `json:"notAfter"`
	Thumbprint   string            `json:"thumbprint"`
	SHA256       string            `json:"sha256"`
	PFXProfile   string            `json:"profile"`
	Files        map[string]string `json:"files"`
}

// NewRun runs `azcert new`: the choices among names first (usage errors),
// then Make, then the result.
func NewRun(opts *NewOptions) error {
	mo, err := opts.makeOptions()
	if err != nil {
		return err
	}
	if mo.Issuer, err = loadIssuer(opts); err != nil {
		return err
	}
	if opts.CountGiven {
		made, err := MakeMany(mo, opts.Count, opts.NameTemplate)
		if err != nil {
			return err
		}
		return printMany(opts, made)
	}
	m, err := Make(mo)
	if err != nil {
		return err
	}
	return printNew(opts, m)
}

// makeOptions checks the values that must be one of the choices, and the
// flags that exclude each other, and turns the flags into MakeOptions.
func (opts *NewOptions) makeOptions() (MakeOptions, error) {
	if err := opts.checkIssueFlags(); err != nil {
		return MakeOptions{}, err
	}
	if opts.Issuer != "" && !opts.PurposeGiven {
		opts.Purpose = string(certgen.PurposeClient)
	}
	if opts.CA && !opts.DaysGiven && !opts.NotAfterGiven {
		opts.Days = caDays
	}
	purpose, err := certgen.ParsePurpose(opts.Purpose)
	if err != nil {
		return MakeOptions{}, &cmdutil.UsageError{Err: fmt.Errorf("--for: %w", err)}
	}
	profile, err := export.ParseProfile(opts.PFXProfile)
	if err != nil {
		return MakeOptions{}, &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	if err := checkCerFormat(opts.CerFormat); err != nil {
		return MakeOptions{}, err
	}
	if opts.DaysGiven && opts.NotAfterGiven {
		return MakeOptions{}, cmdutil.UsageErrorf("--days and --not-after both set the end of validity; give one")
	}
	return MakeOptions{
		Factory: opts.Factory, Names: opts.Names, KeySize: opts.KeySize, Purpose: purpose,
		AllowAzureDomain: opts.AllowAzureDomain, CA: opts.CA, Days: opts.Days, DaysGiven: opts.DaysGiven, NotAfter: opts.NotAfter,
		Profile: profile, CerFormat: opts.CerFormat, PEM: opts.PEM,
		OutDir: opts.OutDir, Name: opts.Name, Password: opts.Password, Force: opts.Force,
	}, nil
}

// printNew prints what new made: JSON, the thumbprint alone with
// --quiet, or a table and the note for the purpose.
func printNew(opts *NewOptions, m *Made) error {
	f := opts.Factory
	r := newResultOf(m)
	if f.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	if f.Quiet {
		_, err := fmt.Fprintln(opts.IO.Out, r.Thumbprint)
		return err
	}
	printNewText(opts.IO, r, m.Names, m.Password.Generated)
	switch {
	case m.CA:
		printCANote(opts.IO, m)
	case m.Issuer != nil:
		printIssuedNote(opts.IO, m, m.Files["pfx"]+" holds")
	default:
		printPurposeNote(opts.IO, m.Purpose, m.Files, opts.CerFormat)
	}
	return nil
}

// newResultOf is the result of new for what Make made.
func newResultOf(m *Made) newResult {
	r := newResult{
		Subject:    m.Cert.Subject.String(),
		For:        string(m.Purpose),
		KeySize:    m.Key.N.BitLen(),
		NotBefore:  m.Cert.NotBefore.UTC(),
		NotAfter:   m.Cert.NotAfter.UTC(),
		Thumbprint: export.FormatThumbprint(export.Thumbprint(m.DER, export.SHA1), export.SHA1, export.FormatAzure),
		SHA256:     export.FormatThumbprint(export.Thumbprint(m.DER, export.SHA256), export.SHA256, export.FormatAzure),
		PFXProfile: string(m.Profile),
		Files:      m.Files,
	}
	if m.CA {
		r.For = "ca"
	}
	if m.Issuer != nil {
		r.Issuer = m.Cert.Issuer.String()
	}
	idn := false
	for _, n := range m.Names {
		r.Names = append(r.Names, n.ASCII)
		r.NamesUnicode = append(r.NamesUnicode, n.Unicode)
		idn = idn || n.IsIDN()
	}
	if !idn {
		r.NamesUnicode = nil
	}
	return r
}

// printPurposeNote tells, on stderr, what to do with the files of a
// certificate for the purpose, and warns where a file is dangerous.
func printPurposeNote(io *cmdutil.IOStreams, purpose certgen.Purpose, files map[string]string, cerFormat string) {
	switch purpose {
	case certgen.PurposeEntra:
		printEntraNote(io, files, cerFormat)
	case certgen.PurposeManagement:
		io.Warnf("anyone holding %s can manage every subscription this certificate is registered with; keep it secret and register only %s", files["pfx"], files["cer"])
	case certgen.PurposeAPIMBackend:
		io.Notef("API Management presents this certificate to the back end: upload %s to it (azcert apim upload --help) and make the back end trust %s", files["pfx"], files["cer"])
	case certgen.PurposeClient:
		io.Notef("the caller presents %s; API Management accepts it once a policy checks the thumbprint of %s (azcert policy apim --help)", files["pfx"], files["cer"])
	}
}

// printEntraNote tells how to register the certificate of an Entra ID
// application credential: azcert entra add takes the .cer, so does the
// portal, and az ad app credential reset --cert takes PEM (with --append
// it keeps the credentials already there).
// https://learn.microsoft.com/cli/azure/ad/app/credential#az-ad-app-credential-reset
func printEntraNote(io *cmdutil.IOStreams, files map[string]string, cerFormat string) {
	pem := files["certPem"]
	if cerFormat == "pem" {
		pem = files["cer"]
	}
	convert := pem == ""
	if convert {
		pem = strings.TrimSuffix(files["cer"], filepath.Ext(files["cer"])) + ".crt.pem"
	}
	io.Notef("register %s with the Entra ID application as its certificate credential: azcert entra add %s --app <app-id> (it keeps the credentials already there), or upload it in the Azure portal (App registrations, Certificates & secrets), or run az ad app credential reset --id <app-id> --cert @%s --append", files["cer"], files["cer"], pem)
	if convert {
		io.Notef("az takes the certificate as PEM: %s", check.ShellJoin([]string{"azcert", "export", "--cer", "--cer-format", "pem", files["cer"], "--out", pem}))
	}
	io.Notef("the application signs in with %s; keep it secret", files["pfx"])
}

// orList joins choices as "a, b or c", for help and errors.
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func printNewText(io *cmdutil.IOStreams, r newResult, names []certgen.Name, generated bool) {
	w := io.Out
	l := io.OutLabel()
	var shown []string
	for _, n := range names {
		if n.IsIDN() {
			shown = append(shown, fmt.Sprintf("%s (%s)", n.ASCII, n.Unicode))
		} else {
			shown = append(shown, n.ASCII)
		}
	}
	row := func(k, v string) { fmt.Fprintf(w, "%s %s\n", l.Sprintf("%-12s", k), v) }
	row("subject", r.Subject)
	if len(shown) > 0 {
		row("names", strings.Join(shown, ", "))
	}
	if r.Issuer != "" {
		row("issuer", r.Issuer)
	}
	row("valid", fmt.Sprintf("%s to %s (%d days)", r.NotBefore.Format(time.DateTime+" MST"), r.NotAfter.Format(time.DateTime+" MST"), int(r.NotAfter.Sub(r.NotBefore).Hours()/24)))
	row("key", fmt.Sprintf("RSA %d", r.KeySize))
	row("thumbprint", r.Thumbprint)
	content := "key + certificate"
	if r.Issuer != "" {
		content = "key + certificate + issuer's certificate"
	}
	row("pfx", fmt.Sprintf("%s (%s, %s)", r.Files["pfx"], content, r.PFXProfile))
	row("cer", r.Files["cer"])
	if p, ok := r.Files["certPem"]; ok {
		row("cert pem", p)
		row("key pem", r.Files["keyPem"])
	}
	if generated {
		row("password", r.Files["password"]+" (generated)")
	}
}
