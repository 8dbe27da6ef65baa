package certs

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
)

// ShowOptions is what `azcert show` runs with: its flags and the Factory.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory // input, secret, Now, JSON()
	Ctx     context.Context

	Inputs     []string
	InPassword string
	Timeout    time.Duration
}

const showLong = `Show a certificate's subject, issuer, serial, validity (with days left), key,
names, key usages, basic constraints, whether it is self-signed, and its
SHA-1 and SHA-256 thumbprints.

For a .pfx it also shows how the file is encrypted (compat: 3DES; modern:
AES-256; legacy-rc2: RC2-40, which OpenSSL 3 and Node cannot read;
unencrypted), whether it holds a private key and whether the key matches
the certificate. The encryption is read from the file's structure, so it is
shown even for a profile azcert would not write.`

const showExample = `  azcert show contoso.net.cer
  azcert show contoso.net.pfx --in-password env:PW
  azcert show https://www.contoso.net
  azcert show contoso.net.pfx --in-password env:PW -o json | jq -r '.[0].pfx.profile'`

// NewCmdShow makes `azcert show`. runF, if not nil, replaces ShowRun.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "show <file|https://host[:port]|->...",
		Short:             "Show everything about a certificate or .pfx",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long:              showLong,
		Example:           showExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one file, URL or -")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return ShowRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx being read: "+secret.InSyntax)
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Second, "time limit for reading a certificate from an https:// URL")
	return cmd
}

// ShowRun runs `azcert show`: every input is read before anything is
// printed.
func ShowRun(opts *ShowOptions) error {
	f := opts.Factory
	if err := input.CheckStdin(opts.Inputs, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}); err != nil {
		return err
	}
	var sums []*export.Summary
	for _, in := range opts.Inputs {
		b, err := input.Load(opts.Ctx, f, in, opts.InPassword, opts.Timeout)
		if err != nil {
			return err
		}
		s := export.Summarize(b, f.Now())
		s.File = input.DisplayName(in)
		sums = append(sums, s)
	}
	if f.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, sums) // an array, however many inputs
	}
	w := bufio.NewWriter(opts.IO.Out)
	for i, s := range sums {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printSummary(opts.IO, w, s)
	}
	return w.Flush()
}

// printSummary prints one input's summary, a row per property.
func printSummary(io *cmdutil.IOStreams, w *bufio.Writer, s *export.Summary) {
	l := io.OutLabel()
	row := func(k, v string) { fmt.Fprintf(w, "%s %s\n", l.Sprintf("%-18s", k+":"), v) }
	formats := map[export.Format]string{
		export.FormatDER: "DER certificate", export.FormatPEM: "PEM",
		export.FormatPKCS12: "PKCS#12", input.FormatTLS: "TLS handshake",
	}
	row("File", fmt.Sprintf("%s (%s)", cmdutil.Printable(s.File), formats[s.Format]))
	row("Subject", cmdutil.Printable(s.Subject))
	issuer := cmdutil.Printable(s.Issuer)
	if s.SelfSigned {
		issuer += " (self-signed)"
	}
	row("Issuer", issuer)
	row("Version", fmt.Sprintf("%d", s.Version))
	row("Serial", fmt.Sprintf("%s (%d bytes)", s.Serial, s.SerialBytes))
	row("Not before", s.NotBefore.Format(time.DateTime+" MST"))
	row("Not after", fmt.Sprintf("%s (%s)", s.NotAfter.Format(time.DateTime+" MST"), validityStatus(io, s)))
	key := fmt.Sprintf("%s %d bits", s.KeyType, s.KeySize)
	row("Public key", key)
	row("Signature", s.SignatureAlgorithm)
	row("Names", cmdutil.Printable(cmdutil.OrNone(strings.Join(summaryNames(s), ", "))))
	row("Key usage", cmdutil.OrNone(strings.Join(s.KeyUsage, ", ")))
	row("Ext. key usage", cmdutil.OrNone(strings.Join(s.ExtKeyUsage, ", ")))
	bc := "absent"
	if s.BasicConstraints {
		bc = "CA:FALSE"
		if s.IsCA {
			bc = "CA:TRUE"
		}
	}
	row("Basic constraints", bc)
	if s.SubjectKeyID != "" {
		row("Subject key ID", s.SubjectKeyID)
	}
	row("Thumbprint", s.Thumbprint+" (SHA-1)")
	row("SHA-256", s.SHA256)
	if s.ChainCount > 0 {
		row("Other certificates", fmt.Sprintf("%d", s.ChainCount))
	}
	if s.PFX != nil {
		p := s.PFX.Describe()
		if s.PFX.Iterations > 0 {
			p += fmt.Sprintf(", %d iterations", s.PFX.Iterations)
		}
		row("PFX encryption", p)
	}
	if s.Format == export.FormatPKCS12 || s.HasKey {
		switch {
		case !s.HasKey:
			row("Private key", "none")
		case s.KeyMatches != nil && *s.KeyMatches:
			row("Private key", io.OutGood().Sprint("present, matches the certificate"))
		default:
			row("Private key", io.OutBad().Sprint("present, does NOT match the certificate"))
		}
	}
}

// validityStatus says how long a certificate has left, in color on a
// terminal when it has expired, is not yet valid or expires within 30 days.
func validityStatus(io *cmdutil.IOStreams, s *export.Summary) string {
	status := fmt.Sprintf("%d days left", s.DaysLeft)
	switch s.Status {
	case "expired":
		status = io.OutBad().Sprintf("expired %d days ago", -s.DaysLeft)
	case "not yet valid":
		status = io.OutWarn().Sprint("not yet valid")
	default:
		if s.DaysLeft < 30 {
			status = io.OutWarn().Sprint(status)
		}
	}
	return status
}

// summaryNames are a certificate's names as show lists them: DNS:name,
// with the Unicode form of an IDNA name, then IP:address.
func summaryNames(s *export.Summary) []string {
	var names []string
	for i, d := range s.DNSNames {
		n := "DNS:" + d
		if s.DNSNamesUnicode != nil && s.DNSNamesUnicode[i] != d {
			n += " (" + s.DNSNamesUnicode[i] + ")"
		}
		names = append(names, n)
	}
	for _, ip := range s.IPAddresses {
		names = append(names, "IP:"+ip)
	}
	return names
}
