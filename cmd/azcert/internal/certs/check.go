package certs

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// CheckOptions is what `azcert check` runs with: its flags and the Factory.
type CheckOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory // input, secret, Now, Setting, JSON()
	Ctx     context.Context

	Input      string
	Target     string
	Domains    []string
	InPassword string
	// Issuer is the root a vpn-client certificate must chain to, with
	// IssuerPassword if it is a .pfx.
	Issuer         string
	IssuerPassword string
}

const checkLong = `Check a certificate or .pfx against what Azure requires for a use, and
print one finding per rule: PASS, WARN, FAIL, or NA for a rule that does
not apply to the input (key-match without a key, pfx-encryption on a .cer),
with the reason and what to do. Where the fix is an azcert command, it is
printed complete, for this file and with the same password source, so it
runs as printed (in JSON also as "command"). A .pfx that holds no private
key is a FAIL like any other. Exit 0 when nothing FAILs, 4 otherwise.

--for takes the purposes of azcert new: service (a cloud service's SSL
certificate), server (any other TLS server), client (a caller's client
certificate, e.g. one API Management checks), management, and apim-backend
(the client certificate API Management presents to a back end; apim-client
is its older name); and for certificates that go through Azure Key Vault,
cloud-service-es (Cloud Services (extended support): the rules of service,
and a .pfx Key Vault reads) and keyvault (a .pfx with its key that Key Vault
imports; key usages are NA, to be checked for the service that reads it).
entra is the certificate credential of an Entra ID application (azcert new
--for entra): RSA of at least 2048 bits and valid now; the .cer is what
azcert entra add registers, the .pfx with its key what signs in; Entra ID
checks no extended key usage (NA) and no key usage (WARN without
digitalSignature, since the key signs).

For point-to-site VPN, vpn-root is the root a VPN gateway trusts (azcert new
--ca) and vpn-client a client certificate it issued (azcert new --issuer):
they have four rules more, basic-constraints (a root is CA:TRUE, a client
certificate should not be), chain (vpn-root: self-signed; vpn-client: it
verifies for clientAuth against --issuer ROOT.cer, else against the root's
certificate in its .pfx, so a certificate of another root FAILs),
issuer-validity (a client certificate's validity lies inside its root's)
and public-cert-data (the length of the base64 DER a gateway takes;
Microsoft documents no limit). A root needs keyCertSign.

Rules (ids, for -o json): x509-version, key-type, key-size (RSA >= 2048),
private-key (a cloud service, a server and API Management need the .pfx
with its key), key-match, key-usage (keyEncipherment for service and server,
digitalSignature for the client certificates: client, management,
apim-backend), ext-key-usage (serverAuth for service and server, clientAuth
for the others), names (they cover every --domain), azure-domain (a service
certificate must not name *.cloudapp.net and the like), validity (expired or
not yet valid: FAIL; expiring within 30 days: WARN), pfx-encryption (AES:
FAIL for a cloud service, WARN through Key Vault; RC2: WARN, OpenSSL 3 and
Node cannot read it),
signature-algorithm (SHA-1: WARN) and serial-number.`

const checkExample = `  # Is this .pfx ready for a cloud service on contoso.net?
  azcert check contoso.net.pfx --for service --domain contoso.net --in-password env:PW

  # A management certificate's public half
  azcert check mgmt.cer --for management

  # The certificate API Management presents to a back end
  azcert check apim-to-backend.contoso.net.pfx --for apim-backend --in-password env:PW

  # A point-to-site VPN root, and a client certificate against it
  azcert check p2s-root.cer --for vpn-root
  azcert check alice.pfx --for vpn-client --issuer p2s-root.cer --in-password env:PW

  # In a pipeline: pick one rule from the JSON
  azcert check site.pfx --for service --in-password env:PW -o json | jq '.findings[] | select(.id=="validity")'`

// NewCmdCheck makes `azcert check`. runF, if not nil, replaces CheckRun.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "check <file> --for {service|server|client|management|apim-backend|cloud-service-es|keyvault|vpn-root|vpn-client|entra}",
		Short:             "Check a certificate against Azure's requirements",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long:              checkLong,
		Example:           checkExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one file to check (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Input = args[0]
			if runF != nil {
				return runF(opts)
			}
			return CheckRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "for", "service", "what the certificate is for: service, server, client, management, apim-backend, cloud-service-es, keyvault, vpn-root or vpn-client")
	fl.StringArrayVar(&opts.Domains, "domain", nil, "a name the certificate must cover (repeatable)")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx: "+secret.InSyntax)
	fl.StringVar(&opts.Issuer, "issuer", "", "for --for vpn-client: the root it must chain to (.cer, .pem or .pfx; default: the chain in the .pfx)")
	fl.StringVar(&opts.IssuerPassword, "issuer-password", "", "password source for an --issuer .pfx: "+secret.InSyntax)
	_ = cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions(checkTargetNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// CheckRun runs `azcert check`: it prints the report and fails (exit 4)
// when a rule fails.
func CheckRun(opts *CheckOptions) error {
	f := opts.Factory
	target, err := check.ParseTarget(opts.Target)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--for: %w", err)}
	}
	for _, d := range opts.Domains {
		if strings.TrimSpace(d) == "" {
			return cmdutil.UsageErrorf("--domain is empty; give a name the certificate must cover, or leave the flag out")
		}
	}
	if opts.Issuer != "" && target != check.VPNClient {
		return cmdutil.UsageErrorf("--issuer is the root of a VPN client certificate: give it with --for vpn-client")
	}
	if err := input.CheckStdin([]string{opts.Input, opts.Issuer}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}, input.PasswordFlag{Name: "issuer-password", Spec: opts.IssuerPassword}); err != nil {
		return err
	}
	issuer, err := checkIssuer(opts)
	if err != nil {
		return err
	}
	b, err := input.Load(opts.Ctx, f, opts.Input, opts.InPassword, 0)
	var noKey *export.InputError
	if errors.Is(err, export.ErrNoKey) && errors.As(err, &noKey) {
		// A .pfx without its key is a readiness problem like any other:
		// the rules are judged on what can be read of it.
		b, err = &export.Bundle{Format: export.FormatPKCS12, PFX: noKey.PFX}, nil
	}
	if err != nil {
		return err
	}
	r := check.Run(b, check.Options{Target: target, Domains: opts.Domains, Now: f.Now(),
		File: opts.Input, PasswordSource: secret.RemedySource(f, opts.InPassword), Issuer: issuer, IssuerFile: opts.Issuer})
	r.File = input.DisplayName(opts.Input)
	if f.JSON() {
		if err := cmdutil.WriteJSON(opts.IO.Out, r); err != nil {
			return err
		}
	} else {
		PrintReport(opts.IO, r)
	}
	if r.Failed() {
		return &cmdutil.CheckFailedError{Err: fmt.Errorf("%s is not ready for %s: %d of %d checks failed", r.File, target.Describe(), r.Count(check.Fail), len(r.Findings))}
	}
	return nil
}

// checkIssuer reads check's --issuer, if given.
func checkIssuer(opts *CheckOptions) (*x509.Certificate, error) {
	if opts.Issuer == "" {
		return nil, nil
	}
	b, err := input.LoadWith(opts.Factory, opts.Issuer, opts.IssuerPassword, "issuer-password", "AZCERT_ISSUER_PASSWORD")
	if err != nil {
		return nil, fmt.Errorf("--issuer: %w", err)
	}
	return b.Cert, nil
}

// PrintReport prints a check report as text on io's stdout: a heading, a
// line per finding with its remedy, and the counts.
func PrintReport(io *cmdutil.IOStreams, r *check.Report) {
	w := bufio.NewWriter(io.Out)
	defer w.Flush()
	head := fmt.Sprintf("%s as %s", cmdutil.Printable(r.File), r.Target.Describe())
	if r.Profile != "" {
		head += fmt.Sprintf(" (.pfx profile %s)", r.Profile)
	}
	fmt.Fprintln(w, io.OutLabel().Sprint(head))
	for _, fd := range r.Findings {
		level := string(fd.Level)
		switch fd.Level {
		case check.Pass:
			level = io.OutGood().Sprint(level)
		case check.Warn:
			level = io.OutWarn().Sprint(level)
		case check.Fail:
			level = io.OutBad().Sprint(level)
		case check.NA:
			level = "NA  "
		}
		fmt.Fprintf(w, "%s  %-20s %s\n", level, fd.ID, fd.Reason)
		if fd.Remedy != "" {
			fmt.Fprintf(w, "      %-20s -> %s\n", "", fd.Remedy)
		}
	}
	fmt.Fprintf(w, "%d FAIL, %d WARN, %d PASS, %d NA\n", r.Count(check.Fail), r.Count(check.Warn), r.Count(check.Pass), r.Count(check.NA))
}

// checkTargetNames lists check's --for values, for completion.
func checkTargetNames() []string {
	out := make([]string, len(check.Targets))
	for i, t := range check.Targets {
		out[i] = string(t)
	}
	return out
}
