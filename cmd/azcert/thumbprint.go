package main

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
)

type thumbprintOptions struct {
	inputs     []string
	format     string
	algorithm  string
	expect     string
	inPassword string
	timeout    time.Duration
}

func newThumbprintCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &thumbprintOptions{}
	cmd := &cobra.Command{
		Use:               "thumbprint <file|https://host[:port]|->...",
		Short:             "Print certificate thumbprints in Azure's formats",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long: `Print the thumbprint of each certificate: the SHA-1 hash of its DER bytes,
by default as 40 upper-case hex digits without separators, the form the
portal, .cscfg files and the Service Management API use.

Inputs are .cer (DER or PEM), .pem, .pfx (needs --in-password unless its
password is empty), "-" for stdin, or https://host[:port] for the certificate
a server presents (read from the TLS handshake, not verified). One input
prints the bare thumbprint; several print "THUMBPRINT  NAME" lines.

Formats:
  azure   40 upper-case hex digits (default)
  lower   40 lower-case hex digits
  colon   AB:CD:... as OpenSSL prints
  asm     sha1-<HEX>, the form in service-certificate URLs
  x5t     base64url without padding, as in a JWT x5t header

With --expect the thumbprint is compared (case, separators and invisible
characters copied from Windows dialogs are ignored); a mismatch exits 4.`,
		Example: `  # The thumbprint for the .cscfg
  azcert thumbprint contoso.net.cer

  # Check a deployed site serves the certificate you expect
  azcert thumbprint https://www.contoso.net --expect 3B4E...9F01

  # SHA-256, colon-separated, of a .pfx
  azcert thumbprint contoso.net.pfx --in-password env:PW --algorithm sha256 --format colon

  # Many files at once
  azcert thumbprint certs/*.cer`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one file, URL or -")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.inputs = args
			return runThumbprint(f, cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.format, "format", "azure", "azure, lower, colon, asm or x5t")
	fl.StringVar(&opts.algorithm, "algorithm", "sha1", "sha1 or sha256")
	fl.StringVar(&opts.expect, "expect", "", "exit 4 unless the thumbprint equals this one")
	fl.StringVar(&opts.inPassword, "in-password", "", "password source for a .pfx being read: "+secret.InSyntax)
	fl.DurationVar(&opts.timeout, "timeout", 10*time.Second, "time limit for reading a certificate from an https:// URL")
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

func runThumbprint(f *cmdutil.Factory, cmd *cobra.Command, opts *thumbprintOptions) error {
	format, err := export.ParseThumbprintFormat(opts.format)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--format: %w", err)}
	}
	alg, err := export.ParseAlgorithm(opts.algorithm)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--algorithm: %w", err)}
	}
	var want []byte
	if cmd.Flags().Changed("expect") {
		p, err := export.ParseThumbprint(opts.expect)
		if err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--expect: %w", err)}
		}
		if p.Stripped {
			f.IO.Warnf("--expect: removed invisible characters (as copied from the Windows certificate dialog)")
		}
		if wantLen := len(export.Thumbprint(nil, alg)); len(p.Sum) != wantLen {
			return cmdutil.UsageErrorf("--expect holds a %d-byte thumbprint but --algorithm %s makes %d bytes", len(p.Sum), alg, wantLen)
		}
		want = p.Sum
	}
	if err := input.CheckStdin(opts.inputs, input.PasswordFlag{Name: "in-password", Spec: opts.inPassword}); err != nil {
		return err
	}

	if len(opts.inputs) > 1 {
		// A batch allocates a few kilobytes per certificate and keeps
		// only its thumbprint: collecting that garbage as it goes is most
		// of the collector's work and buys nothing in a command that ends
		// in milliseconds. It is collected only when the process holds
		// batchMemoryLimit.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(batchMemoryLimit))
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
	}
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
	asJSON := f.JSON()
	var quick func([]byte) (thumbprintOf, bool)
	if !asJSON {
		quick = func(der []byte) (thumbprintOf, bool) {
			if !export.IsCertificateDER(der) {
				return thumbprintOf{}, false
			}
			return thumbprintOf{sum: export.Thumbprint(der, alg)}, true
		}
	}
	ahead := input.StartReadAhead(f, opts.inputs, func(l *input.Loaded) thumbprintOf {
		return newThumbprintOf(l.Bundle, alg, asJSON)
	}, quick)
	defer ahead.Stop()
	pw := secret.Request{Flag: "in-password", Spec: opts.inPassword, EnvVar: "AZCERT_IN_PASSWORD"}
	results := make([]thumbprintResult, 0, len(opts.inputs))
	var mismatches []string
	for i, in := range opts.inputs {
		t, ok, err := ahead.Get(i, pw)
		if err != nil {
			return err
		}
		if !ok {
			b, err := input.Load(cmd.Context(), f, in, opts.inPassword, opts.timeout)
			if err != nil {
				return err
			}
			t = newThumbprintOf(b, alg, asJSON)
		}
		sum := t.sum
		r := thumbprintResult{File: input.DisplayName(in), Subject: t.subject, Algorithm: string(alg),
			Thumbprint: export.FormatThumbprint(sum, alg, format)}
		if want != nil {
			m := bytes.Equal(sum, want)
			r.Match = &m
			if !m {
				mismatches = append(mismatches, fmt.Sprintf("%s is %s", input.DisplayName(in), export.FormatThumbprint(sum, alg, export.FormatAzure)))
			}
		}
		results = append(results, r)
	}

	if asJSON {
		if err := cmdutil.WriteJSON(f.IO.Out, results); err != nil {
			return err
		}
	} else {
		w := bufio.NewWriterSize(f.IO.Out, 64<<10)
		for _, r := range results {
			if len(results) == 1 {
				fmt.Fprintln(w, r.Thumbprint)
			} else {
				fmt.Fprintf(w, "%s  %s\n", r.Thumbprint, cmdutil.Printable(r.File))
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if len(mismatches) > 0 {
		return &cmdutil.CheckFailedError{Err: fmt.Errorf("thumbprint mismatch: expected %s, but %s",
			export.FormatThumbprint(want, alg, export.FormatAzure), cmdutil.JoinAnd(mismatches))}
	}
	return nil
}

// batchMemoryLimit is the memory a command handling many inputs may hold
// before the garbage collector runs (see runtime/debug.SetMemoryLimit).
const batchMemoryLimit = 32 << 20

// thumbprintOf is what thumbprint keeps of a certificate: its hash, and
// its subject for JSON output.
type thumbprintOf struct {
	sum     []byte
	subject string
}

func newThumbprintOf(b *export.Bundle, alg export.Algorithm, withSubject bool) thumbprintOf {
	t := thumbprintOf{sum: export.Thumbprint(b.Cert.Raw, alg)}
	if withSubject {
		t.subject = b.Cert.Subject.String()
	}
	return t
}
