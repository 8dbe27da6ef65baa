package certs

import (
	"fmt"
	"text/tabwriter"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/pkg/certgen"
)

// caDays is the validity of a root when neither --days nor --not-after
// is given: certgen.DefaultCAValidity, ten years.
const caDays = int(certgen.DefaultCAValidity / (24 * 60 * 60 * 1e9))

// checkIssueFlags refuses the combinations of --ca, --issuer, --count
// and --name-template that make no sense (usage errors, exit 2).
func (opts *NewOptions) checkIssueFlags() error {
	switch {
	case opts.CA && opts.Issuer != "":
		return cmdutil.UsageErrorf("--ca makes a self-signed root and --issuer signs with one; give one of them")
	case opts.CA && opts.PurposeGiven:
		return cmdutil.UsageErrorf("--ca makes a root certificate authority; --for is for the certificates it issues (azcert new --issuer ROOT.pfx --for client)")
	case opts.CA && opts.CountGiven:
		return cmdutil.UsageErrorf("--ca makes one root; --count is for the certificates it issues")
	case opts.Issuer != "" && opts.PurposeGiven && opts.Purpose != string(certgen.PurposeClient) && opts.Purpose != string(certgen.PurposeServer):
		return cmdutil.UsageErrorf("--issuer issues client (the default) or server certificates, not --for %s", opts.Purpose)
	case opts.IssuerPassword != "" && opts.Issuer == "":
		return cmdutil.UsageErrorf("--issuer-password is the password of --issuer's .pfx; give --issuer too")
	case opts.NameTemplate != "" && !opts.CountGiven:
		return cmdutil.UsageErrorf("--name-template names the certificates of --count; give --count too")
	}
	if !opts.CountGiven {
		return nil
	}
	switch {
	case opts.Count < 1 || opts.Count > MaxCount:
		return cmdutil.UsageErrorf("--count %d: give 1 to %d", opts.Count, MaxCount)
	case opts.NameTemplate == "":
		return cmdutil.UsageErrorf("--count needs --name-template, e.g. --name-template 'user{n:03}' (%s)", NameTemplateSyntax)
	case len(opts.Names) > 0:
		return cmdutil.UsageErrorf("--count names its certificates with --name-template; give no names (got %s)", opts.Names[0])
	case opts.Name != "":
		return cmdutil.UsageErrorf("--count names its files with --name-template; --name is for one certificate")
	}
	// The template is checked here, before the issuer's .pfx is opened.
	_, err := ExpandNameTemplate(opts.NameTemplate, opts.Count)
	return err
}

// loadIssuer reads --issuer's .pfx with --issuer-password (else
// AZCERT_ISSUER_PASSWORD, else a prompt) and checks it can issue now.
func loadIssuer(opts *NewOptions) (*certgen.Issuer, error) {
	if opts.Issuer == "" {
		return nil, nil
	}
	f := opts.Factory
	b, err := input.LoadWith(f, opts.Issuer, opts.IssuerPassword, "issuer-password", "AZCERT_ISSUER_PASSWORD")
	if err != nil {
		return nil, fmt.Errorf("--issuer: %w", err)
	}
	is := &certgen.Issuer{Cert: b.Cert, Key: b.Key}
	if err := is.Check(f.Now()); err != nil {
		return nil, fmt.Errorf("--issuer %s: %w", input.DisplayName(opts.Issuer), err)
	}
	return is, nil
}

// printCANote tells what a root is for and how to keep it.
func printCANote(io *cmdutil.IOStreams, m *Made) {
	io.Notef("issue client certificates with it: azcert new --issuer %s --issuer-password <source> <user> (--count and --name-template for many); a VPN gateway trusts them once %s is one of its point-to-site root certificates", m.Files["pfx"], m.Files["cer"])
	io.Warnf("whoever holds %s can issue certificates that the gateway accepts; keep it secret, and offline when you can", m.Files["pfx"])
}

// printIssuedNote tells where an issued certificate goes.
// pfx names the .pfx files in the note.
func printIssuedNote(io *cmdutil.IOStreams, m *Made, pfx string) {
	what := "install it on the VPN client"
	if m.Purpose == certgen.PurposeServer {
		what = "serve it with the issuer's certificate as its chain"
	}
	io.Notef("%s the key, the certificate and the certificate of %s: %s; whoever trusts %s accepts it", pfx, m.Cert.Issuer.CommonName, what, m.Cert.Issuer.CommonName)
}

// printMany prints what new --count made: a JSON array of new's objects,
// the thumbprints alone with --quiet, or a line per certificate.
func printMany(opts *NewOptions, made []*Made) error {
	f := opts.Factory
	if f.JSON() {
		out := make([]newResult, len(made))
		for i, m := range made {
			out[i] = newResultOf(m)
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	for _, m := range made {
		r := newResultOf(m)
		if f.Quiet {
			fmt.Fprintln(tw, r.Thumbprint)
			continue
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", m.Cert.Subject.CommonName, r.Thumbprint, r.Files["pfx"], r.Files["cer"])
		if m.Password.Generated {
			line += "\t" + r.Files["password"]
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !f.Quiet && len(made) > 0 {
		m := made[0]
		opts.IO.Notef("%d certificates, valid until %s, .pfx profile %s", len(made), m.Cert.NotAfter.UTC().Format("2006-01-02"), m.Profile)
		if m.Issuer != nil {
			printIssuedNote(opts.IO, m, "each .pfx holds")
		} else {
			printPurposeNote(opts.IO, m.Purpose, m.Files, opts.CerFormat)
		}
	}
	return nil
}
