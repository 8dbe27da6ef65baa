package certs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
)

// ThumbprintOptions is what `azcert thumbprint` runs with: its flags, the
// Changed bits it needs, and the Factory.
type ThumbprintOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory // input, secret, JSON()
	Ctx     context.Context

	Inputs      []string
	Format      string
	Algorithm   string
	Expect      string
	ExpectGiven bool // --expect was given
	InPassword  string
	Timeout     time.Duration
}

const thumbprintLong = `Print the thumbprint of each certificate: the SHA-1 hash of its DER bytes,
by default as 40 upper-case hex digits without separators, the form the
portal, .cscfg files and the Service Management API use.

Inputs are .cer (DER or PEM), .pem, .pfx (needs --in-password unless its
password is empty), "-" for stdin, or https://host[:port] for the certificate
a server presents (read from the TLS handshake, not verified). One input
prints the bare thumbprint; several print "THUMBPRINT  NAME" lines. Of a
file with several certificates, the one its key matches is taken, or the
first (as openssl x509 does) with a note on stderr.

Formats:
  azure   40 upper-case hex digits (default)
  lower   40 lower-case hex digits
  colon   AB:CD:... as OpenSSL prints
  asm     sha1-<HEX>, the form in service-certificate URLs
  x5t     base64url without padding, as in a JWT x5t header

With --expect the thumbprint is compared (case, separators and invisible
characters copied from Windows dialogs are ignored); a mismatch exits 4.`

const thumbprintExample = `  # The thumbprint for the .cscfg
  azcert thumbprint contoso.net.cer

  # Check a deployed site serves the certificate you expect
  azcert thumbprint https://www.contoso.net --expect 3B4E...9F01

  # SHA-256, colon-separated, of a .pfx
  azcert thumbprint contoso.net.pfx --in-password env:PW --algorithm sha256 --format colon

  # Many files at once
  azcert thumbprint certs/*.cer`

// NewCmdThumbprint makes `azcert thumbprint`. runF, if not nil, replaces
// ThumbprintRun.
func NewCmdThumbprint(f *cmdutil.Factory, runF func(*ThumbprintOptions) error) *cobra.Command {
	opts := &ThumbprintOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "thumbprint <file|https://host[:port]|->...",
		Short:             "Print certificate thumbprints in Azure's formats",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long:              thumbprintLong,
		Example:           thumbprintExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one file, URL or -")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Inputs = args
			opts.ExpectGiven = cmd.Flags().Changed("expect")
			if runF != nil {
				return runF(opts)
			}
			return ThumbprintRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "azure", "azure, lower, colon, asm or x5t")
	fl.StringVar(&opts.Algorithm, "algorithm", "sha1", "sha1 or sha256")
	fl.StringVar(&opts.Expect, "expect", "", "exit 4 unless the thumbprint equals this one")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx being read: "+secret.InSyntax)
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "time limit for reading a certificate from an https:// URL")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"azure", "lower", "colon", "asm", "x5t"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("algorithm", cobra.FixedCompletions([]string{"sha1", "sha256"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

type thumbprintResult struct {
	File       string `json:"file"`
	Subject    string `json:"subject"`
	Algorithm  string `json:"algorithm"`
	Thumbprint string `json:"thumbprint"`
	Match      *bool  `json:"match,omitempty"`
}

// thumbprintSpec is what the flags ask of each thumbprint: the format,
// the algorithm, and the expected sum (nil without --expect).
type thumbprintSpec struct {
	format export.ThumbprintFormat
	alg    export.Algorithm
	want   []byte
}

// ThumbprintRun runs `azcert thumbprint`: every input is read before
// anything is printed, and a mismatch with --expect exits 4 after the
// thumbprints are printed.
func ThumbprintRun(opts *ThumbprintOptions) error {
	spec, err := opts.parseSpec()
	if err != nil {
		return err
	}
	if err := input.CheckStdin(opts.Inputs, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}); err != nil {
		return err
	}
	if len(opts.Inputs) > 1 {
		defer batchGC()()
	}
	results, mismatches, err := opts.collect(spec)
	if err != nil {
		return err
	}
	if err := opts.print(results); err != nil {
		return err
	}
	if len(mismatches) > 0 {
		return &cmdutil.CheckFailedError{Err: fmt.Errorf("thumbprint mismatch: expected %s, but %s",
			export.FormatThumbprint(spec.want, spec.alg, export.FormatAzure), cmdutil.JoinAnd(mismatches))}
	}
	return nil
}

// parseSpec reads --format, --algorithm and --expect.
func (opts *ThumbprintOptions) parseSpec() (thumbprintSpec, error) {
	var s thumbprintSpec
	var err error
	if s.format, err = export.ParseThumbprintFormat(opts.Format); err != nil {
		return s, &cmdutil.UsageError{Err: fmt.Errorf("--format: %w", err)}
	}
	if s.alg, err = export.ParseAlgorithm(opts.Algorithm); err != nil {
		return s, &cmdutil.UsageError{Err: fmt.Errorf("--algorithm: %w", err)}
	}
	if !opts.ExpectGiven {
		return s, nil
	}
	p, err := export.ParseThumbprint(opts.Expect)
	if err != nil {
		return s, &cmdutil.UsageError{Err: fmt.Errorf("--expect: %w", err)}
	}
	if p.Stripped {
		opts.IO.Warnf("--expect: removed invisible characters (as copied from the Windows certificate dialog)")
	}
	if wantLen := len(export.Thumbprint(nil, s.alg)); len(p.Sum) != wantLen {
		return s, cmdutil.UsageErrorf("--expect holds a %d-byte thumbprint but --algorithm %s makes %d bytes", len(p.Sum), s.alg, wantLen)
	}
	s.want = p.Sum
	return s, nil
}

// batchGC sets the garbage collector for a batch, and returns what
// restores it. A batch allocates a few kilobytes per certificate and keeps
// only its thumbprint: collecting that garbage as it goes is most of the
// collector's work and buys nothing in a command that ends in
// milliseconds. It is collected only when the process holds
// batchMemoryLimit.
func batchGC() (restore func()) {
	limit := debug.SetMemoryLimit(batchMemoryLimit)
	percent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// collect reads the inputs and makes their results, and the mismatches
// with --expect.
//
// Files are read and decoded a few at a time, ahead of this loop, which
// takes them in argument order: the first input that fails decides the
// error, and nothing is printed before every input has been read.
// Only what a thumbprint needs is kept of each certificate.
//
// A DER certificate is hashed as it is once its structure shows that
// the full parse would accept it (export.IsCertificateDER, about a
// microsecond); the full parse (tens of microseconds, most of the
// time of a large batch) is left for what that check does not
// settle, which then fails or succeeds exactly as before. JSON needs
// the subject, so it always parses.
func (opts *ThumbprintOptions) collect(s thumbprintSpec) (results []thumbprintResult, mismatches []string, err error) {
	f := opts.Factory
	asJSON := f.JSON()
	var quick func([]byte) (thumbprintOf, bool)
	if !asJSON {
		quick = func(der []byte) (thumbprintOf, bool) {
			if !export.IsCertificateDER(der) {
				return thumbprintOf{}, false
			}
			return thumbprintOf{sum: export.Thumbprint(der, s.alg)}, true
		}
	}
	ahead := input.StartReadAhead(f, opts.Inputs, func(l *input.Loaded) thumbprintOf {
		return newThumbprintOf(l.Bundle, s.alg, asJSON)
	}, quick)
	defer ahead.Stop()
	pw := secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"}
	results = make([]thumbprintResult, 0, len(opts.Inputs))
	for i, in := range opts.Inputs {
		t, ok, err := ahead.Get(i, pw)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			b, err := input.Load(opts.Ctx, f, in, opts.InPassword, opts.Timeout)
			if err != nil {
				return nil, nil, err
			}
			t = newThumbprintOf(b, s.alg, asJSON)
		}
		if t.others > 0 {
			f.IO.Notef("%s holds %d certificates; this is the thumbprint of the first (%s)", cmdutil.Printable(input.DisplayName(in)), t.others+1, cmdutil.Printable(t.first))
		}
		r := thumbprintResult{File: input.DisplayName(in), Subject: t.subject, Algorithm: string(s.alg),
			Thumbprint: export.FormatThumbprint(t.sum, s.alg, s.format)}
		if s.want != nil {
			m := bytes.Equal(t.sum, s.want)
			r.Match = &m
			if !m {
				mismatches = append(mismatches, fmt.Sprintf("%s is %s", input.DisplayName(in), export.FormatThumbprint(t.sum, s.alg, export.FormatAzure)))
			}
		}
		results = append(results, r)
	}
	return results, mismatches, nil
}

// print prints the results: JSON, the bare thumbprint of one input, or
// "THUMBPRINT  NAME" lines for several.
func (opts *ThumbprintOptions) print(results []thumbprintResult) error {
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, results)
	}
	w := bufio.NewWriterSize(opts.IO.Out, 64<<10)
	for _, r := range results {
		if len(results) == 1 {
			fmt.Fprintln(w, r.Thumbprint)
		} else {
			fmt.Fprintf(w, "%s  %s\n", r.Thumbprint, cmdutil.Printable(r.File))
		}
	}
	return w.Flush()
}

// batchMemoryLimit is the memory a command handling many inputs may hold
// before the garbage collector runs (see runtime/debug.SetMemoryLimit).
const batchMemoryLimit = 32 << 20

// thumbprintOf is what thumbprint keeps of a certificate: its hash, and
// its subject for JSON output.
type thumbprintOf struct {
	sum     []byte
	subject string
	// others counts the further certificates of a PEM bundle without a
	// key, where the first is taken (as openssl x509 does) and a note
	// says so.
	others int
	first  string
}

func newThumbprintOf(b *export.Bundle, alg export.Algorithm, withSubject bool) thumbprintOf {
	t := thumbprintOf{sum: export.Thumbprint(b.Cert.Raw, alg)}
	if withSubject {
		t.subject = b.Cert.Subject.String()
	}
	if b.Format == export.FormatPEM && b.Key == nil && len(b.Chain) > 0 {
		t.others, t.first = len(b.Chain), b.Cert.Subject.String()
	}
	return t
}
