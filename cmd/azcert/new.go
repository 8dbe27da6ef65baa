package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
)

type newOptions struct {
	names            []string
	keySize          int
	days             int
	notAfter         string
	purpose          string
	allowAzureDomain bool
	outDir           string
	name             string
	pem              bool
	force            bool
	pfxProfile       string
	cerFormat        string
	password         string
}

func newNewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &newOptions{}
	cmd := &cobra.Command{
		Use:   "new <domain> [<domain>...]",
		Short: "Create an RSA key and a self-signed certificate (.pfx + .cer)",
		Long: `Create one RSA key and one self-signed X.509 v3 certificate, and write
<name>.pfx (key + certificate, mode 0600) and <name>.cer (public certificate,
mode 0644).

The certificate follows New-SelfSignedCertificate, which Azure's documentation
assumes: RSA 2048, SHA-256, valid from 10 minutes ago for 365 days, key usage
digitalSignature + keyEncipherment, extended key usage serverAuth + clientAuth,
CA:FALSE, a random 16-byte serial and a subject key identifier. The subject is
CN=<first domain>; every name goes into the subject alternative names.

--for says what the certificate is for. It sets the key usages (server,
client and apim-backend narrow the ones above to their side of TLS) and the
checks and notes that go with them:

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

Names may be DNS names, wildcards (*.contoso.net) and IP addresses. Unicode
names are written in their IDNA form (xn--...). For a service certificate
(the default) a domain Azure owns, such as *.cloudapp.net, is refused: the
certificate must name your custom domain.

The .pfx password comes from --password (pass:TEXT, env:VAR, file:PATH,
fd:N, stdin, prompt, generate, none), else AZCERT_PASSWORD, else a prompt
on a terminal. Existing files are never replaced without --force, and that
is checked before any key is generated.`,
		Example: `  # Service certificate for a custom domain, password from a variable
  azcert new contoso.net --password env:PFX_PASSWORD

  # Several names and a wildcard; the first is the subject
  azcert new contoso.net www.contoso.net '*.api.contoso.net' --password prompt

  # A management certificate with a generated password in mgmt.pfx.password
  azcert new azcert-mgmt --for management --name mgmt --password generate

  # The client certificate API Management presents to its back end
  azcert new apim-to-backend.contoso.net --for apim-backend --password env:PW

  # A caller's client certificate, for an API Management policy
  azcert new partner-a.contoso.net --for client --password env:PW

  # A TLS server certificate for a VM's Azure DNS name
  azcert new vm1.westeurope.cloudapp.azure.com --for server --password env:PW

  # 3072-bit key, two years, PEM files too, into ./certs
  azcert new contoso.net --key-size 3072 --days 730 --pem --out-dir certs --password env:PW

  # Script-friendly: JSON on stdout
  azcert new contoso.net --password env:PW -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one domain name, e.g. azcert new contoso.net")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.names = args
			return runNew(f, cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.keySize, "key-size", certgen.DefaultKeySize, "RSA key size in bits: 2048, 3072 or 4096")
	fl.IntVar(&opts.days, "days", 365, "validity in days from now")
	fl.StringVar(&opts.notAfter, "not-after", "", "end of validity instead of --days (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&opts.purpose, "for", string(certgen.PurposeService), "what the certificate is for: "+orList(certgen.PurposeNames()))
	fl.BoolVar(&opts.allowAzureDomain, "allow-azure-domain", false, "allow a domain Azure owns (*.cloudapp.net, ...) in a service certificate")
	fl.StringVar(&opts.outDir, "out-dir", ".", "directory for the files")
	fl.StringVar(&opts.name, "name", "", `base name of the files (default: the first domain, "*" written as "_wildcard")`)
	fl.BoolVar(&opts.pem, "pem", false, "also write <name>.crt.pem and <name>.key.pem")
	fl.BoolVar(&opts.force, "force", false, "overwrite existing files")
	fl.StringVar(&opts.pfxProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption: compat (3DES, every Windows and Azure) or modern (AES-256; not Cloud Services)")
	fl.StringVar(&opts.cerFormat, "cer-format", "der", "encoding of the .cer: der or pem")
	fl.StringVar(&opts.password, "password", "", "password source for the .pfx: "+secret.Syntax)
	_ = cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions(certgen.PurposeNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cer-format", cobra.FixedCompletions([]string{"der", "pem"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("key-size", cobra.FixedCompletions([]string{"2048", "3072", "4096"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("out-dir")
	return cmd
}

// newResult is the JSON shape of `azcert new -o json`.
type newResult struct {
	Subject      string            `json:"subject"`
	Names        []string          `json:"names"`
	NamesUnicode []string          `json:"namesUnicode,omitempty"`
	For          string            `json:"for"`
	KeySize      int               `json:"keySize"`
	NotBefore    time.Time         `json:"notBefore"`
	NotAfter     time.Time         `json:"notAfter"`
	Thumbprint   string            `json:"thumbprint"`
	SHA256       string            `json:"sha256"`
	PFXProfile   string            `json:"profile"`
	Files        map[string]string `json:"files"`
}

func runNew(f *cmdutil.Factory, cmd *cobra.Command, opts *newOptions) error {
	// Usage first: values that are not one of the choices.
	purpose, err := certgen.ParsePurpose(opts.purpose)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--for: %w", err)}
	}
	profile, err := export.ParseProfile(opts.pfxProfile)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	if opts.cerFormat != "der" && opts.cerFormat != "pem" {
		return cmdutil.UsageErrorf("--cer-format %q: want der or pem", opts.cerFormat)
	}
	if cmd.Flags().Changed("days") && cmd.Flags().Changed("not-after") {
		return cmdutil.UsageErrorf("--days and --not-after both set the end of validity; give one")
	}

	// Bad input: names, key size, validity, files. All before any key.
	names, err := certgen.ParseNames(opts.names)
	if err != nil {
		return err
	}
	now := f.Now()
	req := certgen.Request{
		Names:            names,
		KeySize:          opts.keySize,
		Purpose:          purpose,
		AllowAzureDomain: opts.allowAzureDomain,
		Now:              now,
		Rand:             f.RandSource,
	}
	if opts.notAfter != "" {
		t, err := parseDate(opts.notAfter)
		if err != nil {
			return cmdutil.InputErrorf("--not-after: %w", err)
		}
		req.NotAfter = t
	} else {
		if opts.days <= 0 {
			return cmdutil.InputErrorf("--days %d: the certificate must be valid for at least one day", opts.days)
		}
		if opts.days > 100*365 {
			return cmdutil.InputErrorf("--days %d: more than 100 years is not a validity period X.509 tools handle well", opts.days)
		}
		req.NotAfter = now.Add(time.Duration(opts.days) * 24 * time.Hour)
	}
	if err := req.Validate(); err != nil {
		if _, ok := err.(*certgen.AzureDomainError); ok {
			return cmdutil.WithHint(err, "use your custom domain (e.g. contoso.net) and point it at the Azure name with a CNAME; --allow-azure-domain overrides this check")
		}
		return err
	}

	base := opts.name
	if base == "" {
		base = defaultBaseName(names[0])
	} else if strings.ContainsAny(base, `/\`) || base == "." || base == ".." {
		return cmdutil.InputErrorf("--name %q: give a file name without a directory; use --out-dir for the directory", base)
	}
	path := func(ext string) string { return filepath.Join(opts.outDir, base+ext) }
	files := map[string]string{"pfx": path(".pfx"), "cer": path(".cer")}
	if opts.pem {
		files["certPem"] = path(".crt.pem")
		files["keyPem"] = path(".key.pem")
	}
	if opts.password == "generate" {
		files["password"] = path(".pfx.password")
	}
	order := []string{"pfx", "cer", "certPem", "keyPem", "password"}
	var paths []string
	for _, k := range order {
		if p, ok := files[k]; ok {
			paths = append(paths, p)
		}
	}
	if err := export.CheckWritable(paths, opts.force); err != nil {
		return err
	}

	pw, err := secret.Resolve(f, secret.Request{
		Flag: "password", Spec: opts.password, EnvVar: "AZCERT_PASSWORD",
		Purpose: filepath.Base(files["pfx"]), Create: true, AllowGenerate: true,
	})
	if err != nil {
		return err
	}

	if f.Debug {
		fmt.Fprintf(f.IO.ErrOut, "azcert: debug: generating a %d-bit RSA key\n", opts.keySize)
	}
	res, err := certgen.Generate(req)
	if err != nil {
		return err
	}
	pfx, err := export.EncodePFX(res.Key, res.Cert, nil, export.PFXOptions{Profile: profile, Password: pw.Value, Rand: f.RandSource})
	if err != nil {
		return err
	}
	cer := res.DER
	if opts.cerFormat == "pem" {
		cer = export.CertPEM(res.Cert)
	}
	out := []export.File{
		{Path: files["pfx"], Data: pfx, Mode: export.ModeSecret},
		{Path: files["cer"], Data: cer, Mode: export.ModePublic},
	}
	if opts.pem {
		keyPEM, err := export.KeyPEM(res.Key)
		if err != nil {
			return err
		}
		out = append(out,
			export.File{Path: files["certPem"], Data: export.CertPEM(res.Cert), Mode: export.ModePublic},
			export.File{Path: files["keyPem"], Data: keyPEM, Mode: export.ModeSecret})
	}
	if pw.Generated {
		out = append(out, export.File{Path: files["password"], Data: []byte(pw.Value + "\n"), Mode: export.ModeSecret})
	}
	if err := export.WriteFiles(out, opts.force); err != nil {
		return err
	}

	r := newResult{
		Subject:    res.Cert.Subject.String(),
		For:        string(purpose),
		KeySize:    res.Key.N.BitLen(),
		NotBefore:  res.Cert.NotBefore.UTC(),
		NotAfter:   res.Cert.NotAfter.UTC(),
		Thumbprint: export.FormatThumbprint(export.Thumbprint(res.DER, export.SHA1), export.SHA1, export.FormatAzure),
		SHA256:     export.FormatThumbprint(export.Thumbprint(res.DER, export.SHA256), export.SHA256, export.FormatAzure),
		PFXProfile: string(profile),
		Files:      files,
	}
	idn := false
	for _, n := range names {
		r.Names = append(r.Names, n.ASCII)
		r.NamesUnicode = append(r.NamesUnicode, n.Unicode)
		idn = idn || n.IsIDN()
	}
	if !idn {
		r.NamesUnicode = nil
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	if f.Quiet {
		_, err := fmt.Fprintln(f.IO.Out, r.Thumbprint)
		return err
	}
	printNewText(f, r, names, pw.Generated)
	printPurposeNote(f, purpose, files)
	return nil
}

// printPurposeNote tells, on stderr, what to do with the files of a
// certificate for the purpose, and warns where a file is dangerous.
func printPurposeNote(f *cmdutil.Factory, purpose certgen.Purpose, files map[string]string) {
	switch purpose {
	case certgen.PurposeManagement:
		f.IO.Warnf("anyone holding %s can manage every subscription this certificate is registered with; keep it secret and register only %s", files["pfx"], files["cer"])
	case certgen.PurposeAPIMBackend:
		f.IO.Notef("API Management presents this certificate to the back end: upload %s to it (azcert apim upload --help) and make the back end trust %s", files["pfx"], files["cer"])
	case certgen.PurposeClient:
		f.IO.Notef("the caller presents %s; API Management accepts it once a policy checks the thumbprint of %s (azcert policy apim --help)", files["pfx"], files["cer"])
	}
}

// orList joins choices as "a, b or c", for help and errors.
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func printNewText(f *cmdutil.Factory, r newResult, names []certgen.Name, generated bool) {
	w := f.IO.Out
	l := f.IO.OutLabel()
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
	row("names", strings.Join(shown, ", "))
	row("valid", fmt.Sprintf("%s to %s (%d days)", r.NotBefore.Format(time.DateTime+" MST"), r.NotAfter.Format(time.DateTime+" MST"), int(r.NotAfter.Sub(r.NotBefore).Hours()/24)))
	row("key", fmt.Sprintf("RSA %d", r.KeySize))
	row("thumbprint", r.Thumbprint)
	row("pfx", fmt.Sprintf("%s (key + certificate, %s)", r.Files["pfx"], r.PFXProfile))
	row("cer", r.Files["cer"])
	if p, ok := r.Files["certPem"]; ok {
		row("cert pem", p)
		row("key pem", r.Files["keyPem"])
	}
	if generated {
		row("password", r.Files["password"]+" (generated)")
	}
}

// defaultBaseName turns the first name into a file name: "*" becomes
// "_wildcard" and ":" (IPv6) becomes "-", so the name is valid on Windows too.
func defaultBaseName(n certgen.Name) string {
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
