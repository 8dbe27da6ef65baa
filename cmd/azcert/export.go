package main

import (
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

type exportOptions struct {
	input      string
	cer        bool
	pfx        bool
	pem        bool
	out        string
	keyFile    string
	cerFormat  string
	pfxProfile string
	password   string
	inPassword string
	force      bool
}

func newExportCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:               "export <file> {--cer|--pfx|--pem}",
		Short:             "Convert between .pfx, .cer and PEM, or re-encrypt a .pfx",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long: `Convert a certificate file into another encoding.

  --cer   the public certificate as .cer (DER, or PEM with --cer-format pem)
  --pem   certificate(s) and private key as PEM: <base>.crt.pem and
          <base>.key.pem, or one file with --out
  --pfx   a .pfx from a PEM certificate and key (in one file, or the key in
          --key), or from another .pfx with a new profile or password

The input may be .pfx, .cer (DER or PEM) or .pem, or "-" for stdin; its
format is detected from its content. Output goes to --out, or to a name
derived from the input (site.pfx -> site.cer); "--out -" writes to stdout
when the data is text or stdout is not a terminal. Files holding a key are
written with mode 0600, others 0644; nothing is overwritten without --force.`,
		Example: `  # The public .cer of a .pfx (what you register as a management certificate)
  azcert export --cer contoso.net.pfx --in-password env:PW

  # PEM certificate and key for nginx or OpenSSL
  azcert export --pem contoso.net.pfx --in-password env:PW

  # A .pfx Cloud Services accepts (3DES) from PEM files
  azcert export --pfx site.crt.pem --key site.key.pem --password env:PW

  # Re-encrypt an OpenSSL 3 (AES) .pfx for Cloud Services
  azcert export --pfx aes.pfx --in-password env:OLD --password env:PW --out compat.pfx

  # Certificate as PEM on stdout
  azcert export --cer --cer-format pem contoso.net.cer --out -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one input file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.input = args[0]
			return runExport(f, cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.cer, "cer", false, "write the public certificate (.cer)")
	fl.BoolVar(&opts.pfx, "pfx", false, "write a .pfx (certificate + key)")
	fl.BoolVar(&opts.pem, "pem", false, "write PEM certificate and key")
	fl.StringVar(&opts.out, "out", "", `output file, or "-" for stdout (default: derived from the input)`)
	fl.StringVar(&opts.keyFile, "key", "", "PEM private key for --pfx when the input holds only the certificate")
	fl.StringVar(&opts.cerFormat, "cer-format", "der", "encoding of the .cer: der or pem")
	fl.StringVar(&opts.pfxProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption: compat or modern")
	fl.StringVar(&opts.password, "password", "", "password source for the .pfx written: "+secret.Syntax)
	fl.StringVar(&opts.inPassword, "in-password", "", "password source for a .pfx being read")
	fl.BoolVar(&opts.force, "force", false, "overwrite existing files")
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cer-format", cobra.FixedCompletions([]string{"der", "pem"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("key", "pem", "key")
	return cmd
}

func runExport(f *cmdutil.Factory, cmd *cobra.Command, opts *exportOptions) error {
	n := 0
	for _, b := range []bool{opts.cer, opts.pfx, opts.pem} {
		if b {
			n++
		}
	}
	if n != 1 {
		return cmdutil.UsageErrorf("give exactly one of --cer, --pfx or --pem")
	}
	if opts.cerFormat != "der" && opts.cerFormat != "pem" {
		return cmdutil.UsageErrorf("--cer-format %q: want der or pem", opts.cerFormat)
	}
	if cmd.Flags().Changed("cer-format") && !opts.cer {
		return cmdutil.UsageErrorf("--cer-format applies only to --cer")
	}
	profile, err := export.ParseProfile(opts.pfxProfile)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	if !opts.pfx {
		for _, fl := range []string{"password", "pfx-profile", "key"} {
			if cmd.Flags().Changed(fl) {
				return cmdutil.UsageErrorf("--%s applies only to --pfx", fl)
			}
		}
	}
	if opts.pfx && opts.out == "-" {
		return cmdutil.UsageErrorf("a .pfx is binary and is not written to stdout; give --out FILE")
	}
	if opts.input == "-" && opts.out == "" {
		return cmdutil.UsageErrorf("reading from stdin: give --out FILE or --out -")
	}
	if input.IsURL(opts.input) {
		return cmdutil.UsageErrorf("export reads files; to save a server's certificate use: azcert show %s, or export it from a file", opts.input)
	}

	if err := input.CheckStdin([]string{opts.input, opts.keyFile}, input.PasswordFlag{Name: "in-password", Spec: opts.inPassword}, input.PasswordFlag{Name: "password", Spec: opts.password}); err != nil {
		return err
	}

	// Check the outputs can be written before asking for any password.
	var outPaths []string
	switch {
	case opts.out == "-":
	case opts.out != "":
		outPaths = []string{opts.out}
	case opts.cer:
		outPaths = []string{input.DerivedPath(opts.input, ".cer")}
	case opts.pfx:
		outPaths = []string{input.DerivedPath(opts.input, ".pfx")}
	case opts.pem:
		outPaths = []string{input.DerivedPath(opts.input, ".crt.pem"), input.DerivedPath(opts.input, ".key.pem")}
	}
	for _, p := range outPaths {
		if sameFile(p, opts.input) || (opts.keyFile != "" && sameFile(p, opts.keyFile)) {
			return cmdutil.WithHint(cmdutil.UsageErrorf("the output %s would replace an input file", p), "give another name with --out")
		}
	}
	if opts.pfx && opts.password == "generate" && opts.out != "-" {
		outPaths = append(outPaths, outPaths[0]+".password")
	}
	if err := export.CheckWritable(outPaths, opts.force); err != nil {
		return err
	}

	b, err := input.Load(cmd.Context(), f, opts.input, opts.inPassword, 0)
	if err != nil {
		return err
	}
	if opts.keyFile != "" {
		if b.Key != nil {
			return cmdutil.UsageErrorf("the input already holds a private key; drop --key")
		}
		data, err := input.Read(f, opts.keyFile)
		if err != nil {
			return err
		}
		key, err := export.ParseKeyPEM(data)
		if err != nil {
			return &cmdutil.InputError{Err: fmt.Errorf("%s: %w", opts.keyFile, err)}
		}
		if !export.KeyMatchesCert(key, b.Cert) {
			return cmdutil.InputErrorf("%s does not belong to the certificate in %s (their public keys differ)", opts.keyFile, opts.input)
		}
		b.Key = key
	}

	var files []export.File
	switch {
	case opts.cer:
		data := b.Cert.Raw
		if opts.cerFormat == "pem" {
			data = export.CertPEM(b.Cert)
		}
		if opts.out == "-" {
			return writeStdout(f, data, opts.cerFormat == "der")
		}
		files = []export.File{{Path: outPaths[0], Data: data, Mode: export.ModePublic}}
	case opts.pem:
		certs := export.CertPEM(append([]*x509.Certificate{b.Cert}, b.Chain...)...)
		var key []byte
		if b.Key != nil {
			if key, err = export.KeyPEM(b.Key); err != nil {
				return err
			}
		}
		switch {
		case opts.out == "-":
			return writeStdout(f, append(certs, key...), false)
		case opts.out != "":
			mode := export.ModePublic
			if key != nil {
				mode = export.ModeSecret
			}
			files = []export.File{{Path: opts.out, Data: append(certs, key...), Mode: mode}}
		default:
			files = []export.File{{Path: outPaths[0], Data: certs, Mode: export.ModePublic}}
			if key != nil {
				files = append(files, export.File{Path: outPaths[1], Data: key, Mode: export.ModeSecret})
			} else {
				f.IO.Notef("%s holds no private key; wrote the certificate only", opts.input)
			}
		}
	case opts.pfx:
		if b.Key == nil {
			return cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key, and a .pfx needs one", opts.input), "give the key file with --key key.pem")
		}
		pw, err := secret.Resolve(f, secret.Request{
			Flag: "password", Spec: opts.password, EnvVar: "AZCERT_PASSWORD",
			Purpose: filepath.Base(outPaths[0]), Create: true, AllowGenerate: true,
		})
		if err != nil {
			return err
		}
		data, err := export.EncodePFX(b.Key, b.Cert, b.Chain, export.PFXOptions{Profile: profile, Password: pw.Value, Rand: f.RandSource})
		if err != nil {
			return err
		}
		files = []export.File{{Path: outPaths[0], Data: data, Mode: export.ModeSecret}}
		if pw.Generated {
			files = append(files, export.File{Path: outPaths[1], Data: []byte(pw.Value + "\n"), Mode: export.ModeSecret})
		}
	}
	if err := export.WriteFiles(files, opts.force); err != nil {
		return err
	}
	if f.JSON() {
		// The files by kind, as azcert new names them.
		kinds := []string{"cer"}
		switch {
		case opts.pfx:
			kinds = []string{"pfx", "password"}
		case opts.pem && opts.out != "":
			kinds = []string{"pem"}
		case opts.pem:
			kinds = []string{"certPem", "keyPem"}
		}
		paths := map[string]string{}
		for i, fl := range files {
			paths[kinds[i]] = fl.Path
		}
		return cmdutil.WriteJSON(f.IO.Out, map[string]any{"file": opts.input, "files": paths,
			"thumbprint": export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)})
	}
	for _, fl := range files {
		f.IO.Notef("wrote %s (mode %04o)", fl.Path, fl.Mode)
	}
	return nil
}

// writeStdout writes data to stdout, refusing binary data on a terminal.
func writeStdout(f *cmdutil.Factory, data []byte, binary bool) error {
	if binary && f.IO.OutTTY {
		return cmdutil.WithHint(cmdutil.UsageErrorf("refusing to write binary DER to a terminal"), "redirect stdout to a file, or use --cer-format pem")
	}
	_, err := f.IO.Out.Write(data)
	return err
}

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
