package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

func newPolicyCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy <command>",
		Short: "Print Azure policies that check certificates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a policy kind, e.g. azcert policy apim --help")
		},
	}
	cmd.AddCommand(newPolicyAPIMCmd(f))
	return cmd
}

type policyOptions struct {
	style       string
	thumbprints []string
	certs       []string
	uploaded    bool
	status      int
	fragment    bool
	inPassword  string
	verifyChain bool
}

func newPolicyAPIMCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "apim {--thumbprint <T>... | --cert <file>... | --uploaded}",
		Short: "Print the API Management policy that checks client certificates",
		Long: `Print an API Management inbound policy that rejects a request (401 by
default) unless it presents an acceptable client certificate. Only the XML
goes to stdout, so it can be redirected into a policy file; it is
well-formed XML (the C# expressions are escaped inside attributes).

Styles:
  choose    a <choose>/<when> on context.Request.Certificate: for a fixed
            list of thumbprints, or with --uploaded for the client
            certificates uploaded to the API Management service (the request
            is rejected when its certificate is NOT among them)
  validate  the validate-client-certificate policy with <identities>

By default a whole <policies> document is printed; --fragment prints only
the check, to paste into an existing <inbound> section. With -o json the
XML comes as one string: {"policy": "<policies>..."}.`,
		Example: `  # Accept exactly these certificates
  azcert policy apim --cert partner-a.cer --cert partner-b.cer > policy.xml

  # Accept the certificates uploaded to the service
  azcert policy apim --uploaded --fragment

  # The validate-client-certificate form for a thumbprint
  azcert policy apim --style validate --thumbprint 3B4E...9F01

  # The XML as a JSON string, e.g. for an ARM template or az rest
  azcert policy apim --cert partner-a.cer -o json | jq -r .policy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyAPIM(f, cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.style, "style", "choose", "choose or validate")
	fl.StringArrayVar(&opts.thumbprints, "thumbprint", nil, "an accepted SHA-1 thumbprint (repeatable)")
	fl.StringArrayVar(&opts.certs, "cert", nil, "a certificate file whose thumbprint is accepted (repeatable)")
	fl.BoolVar(&opts.uploaded, "uploaded", false, "accept the client certificates uploaded to the API Management service")
	fl.IntVar(&opts.status, "status", 401, "HTTP status of the rejection (4xx)")
	fl.BoolVar(&opts.fragment, "fragment", false, "print only the check, not a whole <policies> document")
	fl.BoolVar(&opts.verifyChain, "verify-chain", false, "also require a valid chain (context.Request.Certificate.Verify()); self-signed certificates then need their CA uploaded")
	fl.StringVar(&opts.inPassword, "in-password", "", "password source when a --cert is a .pfx: "+secret.InSyntax)
	_ = cmd.MarkFlagFilename("cert", cmdutil.CertExts...)
	_ = cmd.RegisterFlagCompletionFunc("style", cobra.FixedCompletions([]string{"choose", "validate"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runPolicyAPIM(f *cmdutil.Factory, cmd *cobra.Command, opts *policyOptions) error {
	if opts.uploaded && (len(opts.thumbprints) > 0 || len(opts.certs) > 0) {
		return cmdutil.UsageErrorf("--uploaded accepts the uploaded certificates; it does not combine with --thumbprint or --cert")
	}
	if !opts.uploaded && len(opts.thumbprints) == 0 && len(opts.certs) == 0 {
		return cmdutil.UsageErrorf("give --thumbprint, --cert or --uploaded")
	}
	if opts.style != string(check.StyleChoose) && opts.style != string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--style %q: want choose or validate", opts.style)
	}
	if opts.uploaded && opts.style == string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--uploaded works with --style choose; validate-client-certificate needs thumbprints")
	}
	if opts.verifyChain && opts.style == string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--verify-chain is for --style choose; with validate, the policy's validate-trust does that")
	}
	if opts.status < 400 || opts.status > 499 {
		return cmdutil.UsageErrorf("--status %d: want a 4xx status such as 401 or 403", opts.status)
	}
	var thumbs []string
	seen := map[string]bool{}
	addThumb := func(t string) {
		if !seen[t] {
			seen[t] = true
			thumbs = append(thumbs, t)
		}
	}
	for _, t := range opts.thumbprints {
		p, err := export.ParseThumbprint(t)
		if err != nil || len(p.Sum) != 20 {
			return cmdutil.UsageErrorf("--thumbprint %q: want 40 hex digits (SHA-1; API Management compares SHA-1 thumbprints)", t)
		}
		if p.Stripped {
			f.IO.Warnf("--thumbprint: removed invisible characters (as copied from the Windows certificate dialog)")
		}
		addThumb(export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure))
	}
	for _, c := range opts.certs {
		b, err := input.Load(cmd.Context(), f, c, opts.inPassword, 0)
		if err != nil {
			return err
		}
		addThumb(export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure))
	}
	out, err := check.Policy(check.PolicyOptions{
		Style: check.PolicyStyle(opts.style), Thumbprints: thumbs, Uploaded: opts.uploaded,
		Status: opts.status, Fragment: opts.fragment, VerifyChain: opts.verifyChain,
	})
	if err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, struct {
			Policy string `json:"policy"`
		}{string(out)})
	}
	_, err = fmt.Fprint(f.IO.Out, string(out))
	return err
}
