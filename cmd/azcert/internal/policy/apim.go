package policy

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// APIMOptions is what `azcert policy apim` runs with.
type APIMOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Style       string
	Thumbprints []string
	Certs       []string
	Uploaded    bool
	Status      int
	Fragment    bool
	InPassword  string
	VerifyChain bool
}

const apimLong = `Print an API Management inbound policy that rejects a request (401 by
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
XML comes as one string: {"policy": "<policies>..."}.`

const apimExample = `  # Accept exactly these certificates
  azcert policy apim --cert partner-a.cer --cert partner-b.cer > policy.xml

  # Accept the certificates uploaded to the service
  azcert policy apim --uploaded --fragment

  # The validate-client-certificate form for a thumbprint
  azcert policy apim --style validate --thumbprint 3B4E...9F01

  # The XML as a JSON string, e.g. for an ARM template or az rest
  azcert policy apim --cert partner-a.cer -o json | jq -r .policy`

// NewCmdAPIM makes `azcert policy apim`. runF, if not nil, replaces
// APIMRun.
func NewCmdAPIM(f *cmdutil.Factory, runF func(*APIMOptions) error) *cobra.Command {
	opts := &APIMOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "apim {--thumbprint <T>... | --cert <file>... | --uploaded}",
		Short:   "Print the API Management policy that checks client certificates",
		Long:    apimLong,
		Example: apimExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return APIMRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Style, "style", "choose", "choose or validate")
	fl.StringArrayVar(&opts.Thumbprints, "thumbprint", nil, "an accepted SHA-1 thumbprint (repeatable)")
	fl.StringArrayVar(&opts.Certs, "cert", nil, "a certificate file whose thumbprint is accepted (repeatable)")
	fl.BoolVar(&opts.Uploaded, "uploaded", false, "accept the client certificates uploaded to the API Management service")
	fl.IntVar(&opts.Status, "status", 401, "HTTP status of the rejection (4xx)")
	fl.BoolVar(&opts.Fragment, "fragment", false, "print only the check, not a whole <policies> document")
	fl.BoolVar(&opts.VerifyChain, "verify-chain", false, "also require a valid chain (context.Request.Certificate.Verify()); self-signed certificates then need their CA uploaded")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source when a --cert is a .pfx: "+secret.InSyntax)
	_ = cmd.MarkFlagFilename("cert", cmdutil.CertExts...)
	_ = cmd.RegisterFlagCompletionFunc("style", cobra.FixedCompletions([]string{"choose", "validate"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// APIMRun runs `azcert policy apim`: it checks the flags, collects the
// thumbprints and prints the policy.
func APIMRun(opts *APIMOptions) error {
	if err := checkAPIMFlags(opts); err != nil {
		return err
	}
	thumbs, err := acceptedThumbprints(opts)
	if err != nil {
		return err
	}
	out, err := check.Policy(check.PolicyOptions{
		Style: check.PolicyStyle(opts.Style), Thumbprints: thumbs, Uploaded: opts.Uploaded,
		Status: opts.Status, Fragment: opts.Fragment, VerifyChain: opts.VerifyChain,
	})
	if err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Policy string `json:"policy"`
		}{string(out)})
	}
	_, err = fmt.Fprint(opts.IO.Out, string(out))
	return err
}

// checkAPIMFlags refuses the combinations of flags that make no policy.
func checkAPIMFlags(opts *APIMOptions) error {
	if opts.Uploaded && (len(opts.Thumbprints) > 0 || len(opts.Certs) > 0) {
		return cmdutil.UsageErrorf("--uploaded accepts the uploaded certificates; it does not combine with --thumbprint or --cert")
	}
	if !opts.Uploaded && len(opts.Thumbprints) == 0 && len(opts.Certs) == 0 {
		return cmdutil.UsageErrorf("give --thumbprint, --cert or --uploaded")
	}
	if opts.Style != string(check.StyleChoose) && opts.Style != string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--style %q: want choose or validate", opts.Style)
	}
	if opts.Uploaded && opts.Style == string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--uploaded works with --style choose; validate-client-certificate needs thumbprints")
	}
	if opts.VerifyChain && opts.Style == string(check.StyleValidate) {
		return cmdutil.UsageErrorf("--verify-chain is for --style choose; with validate, the policy's validate-trust does that")
	}
	if opts.Status < 400 || opts.Status > 499 {
		return cmdutil.UsageErrorf("--status %d: want a 4xx status such as 401 or 403", opts.Status)
	}
	return nil
}

// acceptedThumbprints is the thumbprints of --thumbprint and then of the
// --cert files, in Azure's form, each once, in the order given.
func acceptedThumbprints(opts *APIMOptions) ([]string, error) {
	var thumbs []string
	seen := map[string]bool{}
	addThumb := func(t string) {
		if !seen[t] {
			seen[t] = true
			thumbs = append(thumbs, t)
		}
	}
	for _, t := range opts.Thumbprints {
		p, err := export.ParseThumbprint(t)
		if err != nil || len(p.Sum) != 20 {
			return nil, cmdutil.UsageErrorf("--thumbprint %q: want 40 hex digits (SHA-1; API Management compares SHA-1 thumbprints)", t)
		}
		if p.Stripped {
			opts.IO.Warnf("--thumbprint: removed invisible characters (as copied from the Windows certificate dialog)")
		}
		addThumb(export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure))
	}
	for _, c := range opts.Certs {
		b, err := input.Load(opts.Ctx, opts.Factory, c, opts.InPassword, 0)
		if err != nil {
			return nil, err
		}
		addThumb(export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure))
	}
	return thumbs, nil
}
