package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/pkg/export"
)

type showOptions struct {
	inputs     []string
	inPassword string
	timeout    time.Duration
}

func newShowCmd(f *factory) *cobra.Command {
	opts := &showOptions{}
	cmd := &cobra.Command{
		Use:               "show <file|https://host[:port]|->...",
		Short:             "Show everything about a certificate or .pfx",
		ValidArgsFunction: fileArgs(certExts...),
		Long: `Show a certificate's subject, issuer, serial, validity (with days left), key,
names, key usages, basic constraints, whether it is self-signed, and its
SHA-1 and SHA-256 thumbprints.

For a .pfx it also shows how the file is encrypted (compat: 3DES; modern:
AES-256; legacy-rc2: RC2-40, which OpenSSL 3 and Node cannot read;
unencrypted), whether it holds a private key and whether the key matches
the certificate. The encryption is read from the file's structure, so it is
shown even for a profile azcert would not write.`,
		Example: `  azcert show contoso.net.cer
  azcert show contoso.net.pfx --in-password env:PW
  azcert show https://www.contoso.net
  azcert show contoso.net.pfx --in-password env:PW -o json | jq -r '.[0].pfx.profile'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give at least one file, URL or -")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.inputs = args
			return runShow(f, cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source for a .pfx being read: "+inPasswordSyntax)
	cmd.Flags().DurationVar(&opts.timeout, "timeout", 10*time.Second, "time limit for reading a certificate from an https:// URL")
	return cmd
}

func runShow(f *factory, cmd *cobra.Command, opts *showOptions) error {
	if err := checkStdin(opts.inputs, map[string]string{"in-password": opts.inPassword}); err != nil {
		return err
	}
	var sums []*export.Summary
	for _, in := range opts.inputs {
		b, err := f.loadInput(cmd.Context(), in, opts.inPassword, opts.timeout)
		if err != nil {
			return err
		}
		s := export.Summarize(b, f.Now())
		s.File = displayName(in)
		sums = append(sums, s)
	}
	if f.json() {
		return writeJSON(f, sums) // an array, however many inputs

	}
	w := bufio.NewWriter(f.IO.Out)
	for i, s := range sums {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printSummary(f, w, s)
	}
	return w.Flush()
}

func printSummary(f *factory, w *bufio.Writer, s *export.Summary) {
	l := f.IO.outLabel()
	row := func(k, v string) { fmt.Fprintf(w, "%s %s\n", l.Sprintf("%-18s", k+":"), v) }
	formats := map[export.Format]string{
		export.FormatDER: "DER certificate", export.FormatPEM: "PEM",
		export.FormatPKCS12: "PKCS#12", formatTLS: "TLS handshake",
	}
	row("File", fmt.Sprintf("%s (%s)", printable(s.File), formats[s.Format]))
	row("Subject", printable(s.Subject))
	issuer := printable(s.Issuer)
	if s.SelfSigned {
		issuer += " (self-signed)"
	}
	row("Issuer", issuer)
	row("Version", fmt.Sprintf("%d", s.Version))
	row("Serial", fmt.Sprintf("%s (%d bytes)", s.Serial, s.SerialBytes))
	row("Not before", s.NotBefore.Format(time.DateTime+" MST"))
	status := fmt.Sprintf("%d days left", s.DaysLeft)
	switch s.Status {
	case "expired":
		status = f.IO.outBad().Sprintf("expired %d days ago", -s.DaysLeft)
	case "not yet valid":
		status = f.IO.outWarn().Sprint("not yet valid")
	default:
		if s.DaysLeft < 30 {
			status = f.IO.outWarn().Sprint(status)
		}
	}
	row("Not after", fmt.Sprintf("%s (%s)", s.NotAfter.Format(time.DateTime+" MST"), status))
	key := fmt.Sprintf("%s %d bits", s.KeyType, s.KeySize)
	row("Public key", key)
	row("Signature", s.SignatureAlgorithm)
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
	row("Names", printable(orNone(strings.Join(names, ", "))))
	row("Key usage", orNone(strings.Join(s.KeyUsage, ", ")))
	row("Ext. key usage", orNone(strings.Join(s.ExtKeyUsage, ", ")))
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
			row("Private key", f.IO.outGood().Sprint("present, matches the certificate"))
		default:
			row("Private key", f.IO.outBad().Sprint("present, does NOT match the certificate"))
		}
	}
}

// printable escapes what text from outside (a certificate's names, a file
// such as a .cscfg, an answer from Azure) may carry to take over a
// terminal or forge output lines: control characters such as ESC, BEL and
// line breaks, and invalid UTF-8, are written as Go escapes.
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	// Escape only what cannot be shown (control characters, invisible
	// marks, invalid UTF-8) and the backslash; quotes and the rest stay as
	// they are, so `unknown command "x"` reads as written.
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == '\\':
			b.WriteString(`\\`) // so an escape in the text cannot pass for one made here
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
