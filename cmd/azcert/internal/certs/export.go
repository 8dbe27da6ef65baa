package certs

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
)

// ExportOptions is what `azcert export` runs with: its flags, the Changed
// bits it needs, and the Factory.
type ExportOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory // input, secret, RandSource, JSON()
	Ctx     context.Context

	Input           string
	Cer             bool
	PFX             bool
	PEM             bool
	Out             string
	KeyFile         string
	KeyGiven        bool // --key was given
	CerFormat       string
	CerFormatGiven  bool // --cer-format was given
	PFXProfile      string
	PFXProfileGiven bool // --pfx-profile was given
	Password        string
	PasswordGiven   bool // --password was given
	InPassword      string
	Force           bool
}

const exportLong = `Convert a certificate file into another encoding.

  --cer   the public certificate as .cer (DER, or PEM with --cer-format pem)
  --pem   certificate(s) and private key as PEM: <base>.crt.pem and
          <base>.key.pem, or one file with --out
  --pfx   a .pfx from a PEM certificate and key (in one file, or the key in
          --key), or from another .pfx with a new profile or password

The input may be .pfx, .cer (DER or PEM) or .pem, or "-" for stdin; its
format is detected from its content. Output goes to --out, or to a name
derived from the input (site.pfx -> site.cer); "--out -" writes to stdout
when the data is text or stdout is not a terminal. Files holding a key are
written with mode 0600, others 0644; nothing is overwritten without --force.`

const exportExample = `  # The public .cer of a .pfx (what you register as a management certificate)
  azcert export --cer contoso.net.pfx --in-password env:PW

  # PEM certificate and key for nginx or OpenSSL
  azcert export --pem contoso.net.pfx --in-password env:PW

  # A .pfx Cloud Services accepts (3DES) from PEM files
  azcert export --pfx site.crt.pem --key site.key.pem --password env:PW

  # Re-encrypt an OpenSSL 3 (AES) .pfx for Cloud Services
  azcert export --pfx aes.pfx --in-password env:OLD --password env:PW --out compat.pfx

  # Certificate as PEM on stdout
  azcert export --cer --cer-format pem contoso.net.cer --out -`

// NewCmdExport makes `azcert export`. runF, if not nil, replaces ExportRun.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "export <file> {--cer|--pfx|--pem}",
		Short:             "Convert between .pfx, .cer and PEM, or re-encrypt a .pfx",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long:              exportLong,
		Example:           exportExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one input file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Input = args[0]
			opts.KeyGiven = cmd.Flags().Changed("key")
			opts.CerFormatGiven = cmd.Flags().Changed("cer-format")
			opts.PFXProfileGiven = cmd.Flags().Changed("pfx-profile")
			opts.PasswordGiven = cmd.Flags().Changed("password")
			if runF != nil {
				return runF(opts)
			}
			return ExportRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Cer, "cer", false, "write the public certificate (.cer)")
	fl.BoolVar(&opts.PFX, "pfx", false, "write a .pfx (certificate + key)")
	fl.BoolVar(&opts.PEM, "pem", false, "write PEM certificate and key")
	fl.StringVar(&opts.Out, "out", "", `output file, or "-" for stdout (default: derived from the input)`)
	fl.StringVar(&opts.KeyFile, "key", "", "PEM private key for --pfx when the input holds only the certificate")
	fl.StringVar(&opts.CerFormat, "cer-format", "der", "encoding of the .cer: der or pem")
	fl.StringVar(&opts.PFXProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption: compat or modern")
	fl.StringVar(&opts.Password, "password", "", "password source for the .pfx written: "+secret.Syntax)
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx being read")
	fl.BoolVar(&opts.Force, "force", false, "overwrite existing files")
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cer-format", cobra.FixedCompletions([]string{"der", "pem"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("key", "pem", "key")
	return cmd
}

// ExportRun runs `azcert export`: the flags are checked, then the outputs
// (before any password is asked for), then the input is read and the
// outputs are written.
func ExportRun(opts *ExportOptions) error {
	profile, err := opts.checkUsage()
	if err != nil {
		return err
	}
	outPaths, err := opts.outputs()
	if err != nil {
		return err
	}
	b, err := opts.load()
	if err != nil {
		return err
	}
	if opts.Out == "-" {
		return opts.toStdout(b)
	}
	files, err := opts.files(b, outPaths, profile)
	if err != nil {
		return err
	}
	if err := export.WriteFiles(files, opts.Force); err != nil {
		return err
	}
	return opts.report(b, files)
}

// checkUsage checks the flags go together, and returns the profile of a
// .pfx to write.
func (opts *ExportOptions) checkUsage() (export.Profile, error) {
	n := 0
	for _, b := range []bool{opts.Cer, opts.PFX, opts.PEM} {
		if b {
			n++
		}
	}
	if n != 1 {
		return "", cmdutil.UsageErrorf("give exactly one of --cer, --pfx or --pem")
	}
	if err := checkCerFormat(opts.CerFormat); err != nil {
		return "", err
	}
	if opts.CerFormatGiven && !opts.Cer {
		return "", cmdutil.UsageErrorf("--cer-format applies only to --cer")
	}
	profile, err := export.ParseProfile(opts.PFXProfile)
	if err != nil {
		return "", &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	if !opts.PFX {
		for _, fl := range []struct {
			name  string
			given bool
		}{{"password", opts.PasswordGiven}, {"pfx-profile", opts.PFXProfileGiven}, {"key", opts.KeyGiven}} {
			if fl.given {
				return "", cmdutil.UsageErrorf("--%s applies only to --pfx", fl.name)
			}
		}
	}
	if opts.PFX && opts.Out == "-" {
		return "", cmdutil.UsageErrorf("a .pfx is binary and is not written to stdout; give --out FILE")
	}
	if opts.Input == "-" && opts.Out == "" {
		return "", cmdutil.UsageErrorf("reading from stdin: give --out FILE or --out -")
	}
	if input.IsURL(opts.Input) {
		return "", cmdutil.UsageErrorf("export reads files; to save a server's certificate use: azcert show %s, or export it from a file", opts.Input)
	}
	if err := input.CheckStdin([]string{opts.Input, opts.KeyFile}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}, input.PasswordFlag{Name: "password", Spec: opts.Password}); err != nil {
		return "", err
	}
	return profile, nil
}

// outputs are the files export writes, checked to be writable, and not
// inputs, before any password is asked for: none for --out -, --out, or
// names derived from the input; for --pfx with a generated password, the
// password file last.
func (opts *ExportOptions) outputs() ([]string, error) {
	var outPaths []string
	switch {
	case opts.Out == "-":
	case opts.Out != "":
		outPaths = []string{opts.Out}
	case opts.Cer:
		outPaths = []string{input.DerivedPath(opts.Input, ".cer")}
	case opts.PFX:
		outPaths = []string{input.DerivedPath(opts.Input, ".pfx")}
	case opts.PEM:
		outPaths = []string{input.DerivedPath(opts.Input, ".crt.pem"), input.DerivedPath(opts.Input, ".key.pem")}
	}
	for _, p := range outPaths {
		if sameFile(p, opts.Input) || (opts.KeyFile != "" && sameFile(p, opts.KeyFile)) {
			return nil, cmdutil.WithHint(cmdutil.UsageErrorf("the output %s would replace an input file", p), "give another name with --out")
		}
	}
	if opts.PFX && opts.Password == "generate" && opts.Out != "-" {
		outPaths = append(outPaths, outPaths[0]+".password")
	}
	if err := export.CheckWritable(outPaths, opts.Force); err != nil {
		return nil, err
	}
	return outPaths, nil
}

// load reads the input, and the key of --key, which must belong to the
// input's certificate.
func (opts *ExportOptions) load() (*export.Bundle, error) {
	f := opts.Factory
	b, err := input.Load(opts.Ctx, f, opts.Input, opts.InPassword, 0)
	if err != nil {
		return nil, err
	}
	if opts.KeyFile == "" {
		return b, nil
	}
	if b.Key != nil {
		return nil, cmdutil.UsageErrorf("the input already holds a private key; drop --key")
	}
	data, err := input.Read(f, opts.KeyFile)
	if err != nil {
		return nil, err
	}
	key, err := export.ParseKeyPEM(data)
	if err != nil {
		return nil, &cmdutil.InputError{Err: fmt.Errorf("%s: %w", opts.KeyFile, err)}
	}
	if !export.KeyMatchesCert(key, b.Cert) {
		return nil, cmdutil.InputErrorf("%s does not belong to the certificate in %s (their public keys differ)", opts.KeyFile, opts.Input)
	}
	b.Key = key
	return b, nil
}

// toStdout writes the certificate (--cer) or the certificates and key
// (--pem) to stdout, for --out -.
func (opts *ExportOptions) toStdout(b *export.Bundle) error {
	if opts.Cer {
		return writeStdout(opts.IO, opts.cerData(b), opts.CerFormat == "der")
	}
	certs, key, err := pemData(b)
	if err != nil {
		return err
	}
	return writeStdout(opts.IO, append(certs, key...), false)
}

// files are the files to write, at outPaths unless --out gives one.
func (opts *ExportOptions) files(b *export.Bundle, outPaths []string, profile export.Profile) ([]export.File, error) {
	switch {
	case opts.Cer:
		return []export.File{{Path: outPaths[0], Data: opts.cerData(b), Mode: export.ModePublic}}, nil
	case opts.PEM:
		return opts.pemFiles(b, outPaths)
	case opts.PFX:
		return opts.pfxFiles(b, outPaths, profile)
	}
	return nil, nil
}

// cerData is the certificate in the --cer-format.
func (opts *ExportOptions) cerData(b *export.Bundle) []byte {
	if opts.CerFormat == "pem" {
		return export.CertPEM(b.Cert)
	}
	return b.Cert.Raw
}

// pemData is the certificates as PEM, and the key (nil without one).
func pemData(b *export.Bundle) (certs, key []byte, err error) {
	certs = export.CertPEM(append([]*x509.Certificate{b.Cert}, b.Chain...)...)
	if b.Key != nil {
		if key, err = export.KeyPEM(b.Key); err != nil {
			return nil, nil, err
		}
	}
	return certs, key, nil
}

// pemFiles are the PEM files: one with --out (secret when it holds a
// key), else the certificates and, if there is one, the key.
func (opts *ExportOptions) pemFiles(b *export.Bundle, outPaths []string) ([]export.File, error) {
	certs, key, err := pemData(b)
	if err != nil {
		return nil, err
	}
	if opts.Out != "" {
		mode := export.ModePublic
		if key != nil {
			mode = export.ModeSecret
		}
		return []export.File{{Path: opts.Out, Data: append(certs, key...), Mode: mode}}, nil
	}
	files := []export.File{{Path: outPaths[0], Data: certs, Mode: export.ModePublic}}
	if key != nil {
		files = append(files, export.File{Path: outPaths[1], Data: key, Mode: export.ModeSecret})
	} else {
		opts.IO.Notef("%s holds no private key; wrote the certificate only", opts.Input)
	}
	return files, nil
}

// pfxFiles are the .pfx, encrypted with the new password, and the
// password file when it was generated.
func (opts *ExportOptions) pfxFiles(b *export.Bundle, outPaths []string, profile export.Profile) ([]export.File, error) {
	f := opts.Factory
	if b.Key == nil {
		return nil, cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key, and a .pfx needs one", opts.Input), "give the key file with --key key.pem")
	}
	pw, err := secret.Resolve(f, secret.Request{
		Flag: "password", Spec: opts.Password, EnvVar: "AZCERT_PASSWORD",
		Purpose: filepath.Base(outPaths[0]), Create: true, AllowGenerate: true,
	})
	if err != nil {
		return nil, err
	}
	data, err := export.EncodePFX(b.Key, b.Cert, b.Chain, export.PFXOptions{Profile: profile, Password: pw.Value, Rand: f.RandSource})
	if err != nil {
		return nil, err
	}
	files := []export.File{{Path: outPaths[0], Data: data, Mode: export.ModeSecret}}
	if pw.Generated {
		files = append(files, export.File{Path: outPaths[1], Data: []byte(pw.Value + "\n"), Mode: export.ModeSecret})
	}
	return files, nil
}

// report prints the files written: JSON with the files by kind, as azcert
// new names them, or a note per file.
func (opts *ExportOptions) report(b *export.Bundle, files []export.File) error {
	if opts.Factory.JSON() {
		kinds := []string{"cer"}
		switch {
		case opts.PFX:
			kinds = []string{"pfx", "password"}
		case opts.PEM && opts.Out != "":
			kinds = []string{"pem"}
		case opts.PEM:
			kinds = []string{"certPem", "keyPem"}
		}
		paths := map[string]string{}
		for i, fl := range files {
			paths[kinds[i]] = fl.Path
		}
		return cmdutil.WriteJSON(opts.IO.Out, map[string]any{"file": opts.Input, "files": paths,
			"thumbprint": export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)})
	}
	for _, fl := range files {
		opts.IO.Notef("wrote %s (mode %04o)", fl.Path, fl.Mode)
	}
	return nil
}

// writeStdout writes data to stdout, refusing binary data on a terminal.
func writeStdout(io *cmdutil.IOStreams, data []byte, binary bool) error {
	if binary && io.OutTTY {
		return cmdutil.WithHint(cmdutil.UsageErrorf("refusing to write binary DER to a terminal"), "redirect stdout to a file, or use --cer-format pem")
	}
	_, err := io.Out.Write(data)
	return err
}

// sameFile reports whether a and b are the same file, or would be.
func sameFile(a, b string) bool {
	if a == "-" || b == "-" {
		return false
	}
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
