package main

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/asm"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/export"
)

func newAPIMCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apim <command>",
		Short: "API Management client certificates (upload, list, delete) through Azure Resource Manager",
		Long: `Manage the client certificates an API Management service presents to back ends
for mutual TLS, through Azure Resource Manager.

Authentication: --access-token SRC (a bearer token, e.g. env:TOKEN or from
'az account get-access-token --query accessToken -o tsv'), or else the Azure
credential chain: environment variables (AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload identity,
managed identity, the Azure CLI ('az login') and the Azure Developer CLI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert apim upload, list or delete")
		},
	}
	cmd.AddCommand(newAPIMUploadCmd(f), newAPIMListCmd(f), newAPIMDeleteCmd(f))
	return cmd
}

var credNameRE = regexp.MustCompile(`(\w+Credential): ([^\n]*)`)

// apimError turns credential failures into one line that says what was
// tried and how to log in, and adds hints to ARM errors users can act on.
func apimError(err error) error {
	var ce *apimclient.CredentialError
	if errors.As(err, &ce) {
		var tried []string
		seen := map[string]bool{}
		for _, m := range credNameRE.FindAllStringSubmatch(ce.Err.Error(), -1) {
			if m[1] == "DefaultAzureCredential" || seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			reason := strings.TrimSpace(m[2])
			if i := strings.IndexAny(reason, ".;"); i > 0 {
				reason = reason[:i]
			}
			tried = append(tried, fmt.Sprintf("%s (%s)", strings.TrimSuffix(m[1], "Credential"), reason))
		}
		msg := "no Azure credential is available"
		if len(tried) > 0 {
			msg += "; tried " + strings.Join(tried, ", ")
		} else {
			msg += ": " + connect.OneLine(ce.Err.Error())
		}
		return cmdutil.WithHint(&cmdutil.CredentialError{Err: errors.New(msg)},
			"log in with 'az login', set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or give --access-token")
	}
	var e *apimclient.Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusUnauthorized:
			return cmdutil.WithHint(err, "the access token was refused: get a fresh one (az account get-access-token) or check --access-token")
		case e.StatusCode == http.StatusForbidden:
			return cmdutil.WithHint(err, "the identity needs a role such as API Management Service Contributor on the service")
		case e.Code == "CertificateInUse" || strings.Contains(strings.ToLower(e.Message), "in use") || strings.Contains(strings.ToLower(e.Message), "referenced"):
			return cmdutil.WithHint(err, "detach the certificate from the back ends (or APIs) that use it, then delete it")
		}
	}
	return err
}

type apimUploadOptions struct {
	apim       cmdutil.APIMFlags
	file       string
	id         string
	inPassword string
	force      bool
}

func newAPIMUploadCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &apimUploadOptions{}
	cmd := &cobra.Command{
		Use:               "upload <file.pfx> --subscription <id> --resource-group <rg> --service <name> [--id <id>]",
		Short:             "Upload a client certificate (.pfx with its password)",
		ValidArgsFunction: cmdutil.FileArgs("pfx", "p12"),
		Long: `Upload a .pfx as a client certificate of the API Management service.

Before anything is sent the file is checked: a .pfx with its private key,
RSA of at least 2048 bits, not expired; its password is verified locally.
The id defaults to the certificate's name and the last eight characters of
its thumbprint (e.g. contoso-net-0A1B2C3D). Uploading the same certificate
again is success; replacing a certificate of that id that has another
thumbprint needs --force.`,
		Example: `  azcert apim upload backend-client.pfx --in-password env:PW \
    --subscription $SUB --resource-group rg-api --service contoso-apim

  # With a token from the Azure CLI
  azcert apim upload client.pfx --in-password env:PW --access-token env:TOKEN \
    --subscription $SUB --resource-group rg-api --service contoso-apim --id backend-client`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one .pfx file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = args[0]
			return runAPIMUpload(f, cmd, opts)
		},
	}
	cmdutil.AddAPIMFlags(cmd, &opts.apim, secret.InSyntax)
	cmd.Flags().StringVar(&opts.id, "id", "", "certificate id in API Management (default: derived from the certificate)")
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source for the .pfx: "+secret.InSyntax)
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace a certificate of this id that has another thumbprint")
	return cmd
}

type apimResult struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Thumbprint string    `json:"thumbprint"`
	NotAfter   time.Time `json:"notAfter"`
	DaysLeft   int       `json:"daysLeft"`
	Status     string    `json:"status,omitempty"`
}

func runAPIMUpload(f *cmdutil.Factory, cmd *cobra.Command, opts *apimUploadOptions) error {
	if err := input.CheckStdin([]string{opts.file}, input.PasswordFlag{Name: "in-password", Spec: opts.inPassword}, input.PasswordFlag{Name: "access-token", Spec: opts.apim.AccessToken}); err != nil {
		return err
	}
	if opts.id != "" && !apimclient.ValidID(opts.id) {
		return cmdutil.UsageErrorf("--id %q: 1-80 letters, digits and hyphens, starting with a letter and ending with a letter or digit", opts.id)
	}
	l, err := input.LoadFile(f, opts.file, secret.Request{Flag: "in-password", Spec: opts.inPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return err
	}
	if l.Bundle.Format != export.FormatPKCS12 {
		return cmdutil.WithHint(cmdutil.InputErrorf("%s is not a .pfx; API Management takes the certificate with its key as a .pfx", opts.file),
			"make one from it and its PEM key file with azcert export's --pfx and --key, or give the .pfx that azcert new wrote")
	}
	if err := asm.CheckUploadable(opts.file, l.Bundle, f.Now(), true); err != nil {
		return err
	}
	sess, err := f.APIManagement(cmd.Context(), &opts.apim)
	if err != nil {
		return err
	}
	id := opts.id
	if id == "" {
		id = apimclient.DefaultID(l.Bundle.Cert)
	}
	thumb := export.FormatThumbprint(export.Thumbprint(l.Bundle.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
	ctx, cancel := opts.apim.Conn.WithTimeout(cmd.Context())
	defer cancel()

	ifMatch, status := "", "uploaded"
	existing, err := sess.Client.Get(ctx, id)
	switch {
	case err == nil && strings.EqualFold(existing.Thumbprint, thumb):
		return printAPIM(f, *existing, "already present")
	case err == nil && !opts.force:
		return cmdutil.WithHint(cmdutil.InputErrorf("%s already holds certificate %s (%s), not %s", id, existing.Thumbprint, existing.Subject, thumb),
			"give another --id, or --force to replace it")
	case err == nil:
		ifMatch, status = existing.ETag, "replaced"
		if ifMatch == "" {
			ifMatch = "*"
		}
	case !apimclient.IsNotFound(err):
		return apimError(fmt.Errorf("reading %s from %s: %w", id, sess.Where, err))
	}
	cert, err := sess.Client.CreateOrUpdate(ctx, id, l.Data, l.Password, ifMatch)
	if err != nil {
		// A create whose answer was lost is retried, and the retry is
		// refused because the first one made the certificate (412 without
		// If-Match, or 409): if the id now holds this certificate, the
		// upload succeeded.
		var ae *apimclient.Error
		if ifMatch == "" && errors.As(err, &ae) && (ae.StatusCode == http.StatusPreconditionFailed || ae.StatusCode == http.StatusConflict) {
			if made, gerr := sess.Client.Get(ctx, id); gerr == nil && strings.EqualFold(made.Thumbprint, thumb) {
				return printAPIM(f, *made, status)
			}
		}
		return apimError(fmt.Errorf("uploading %s to %s: %w", opts.file, sess.Where, err))
	}
	return printAPIM(f, *cert, status)
}

func printAPIM(f *cmdutil.Factory, c apimclient.Certificate, status string) error {
	r := apimResult{ID: c.ID, Subject: c.Subject, Thumbprint: c.Thumbprint, NotAfter: c.ExpirationDate.UTC(),
		DaysLeft: cmdutil.DaysLeft(c.ExpirationDate, f.Now()), Status: status}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	_, err := fmt.Fprintf(f.IO.Out, "%s  %s  %s  expires %s  %s\n", cmdutil.Printable(r.ID), cmdutil.Printable(r.Thumbprint), cmdutil.Printable(r.Subject), r.NotAfter.Format(time.DateOnly), status)
	return err
}

func newAPIMListCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &cmdutil.APIMFlags{}
	cmd := &cobra.Command{
		Use:   "list --subscription <id> --resource-group <rg> --service <name>",
		Short: "List the client certificates of an API Management service",
		Example: `  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim
  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sess, err := f.APIManagement(cmd.Context(), opts)
			if err != nil {
				return err
			}
			ctx, cancel := opts.Conn.WithTimeout(cmd.Context())
			defer cancel()
			certs, err := sess.Client.List(ctx)
			if err != nil {
				return apimError(fmt.Errorf("listing the certificates of %s: %w", sess.Where, err))
			}
			rows := []apimResult{}
			for _, c := range certs {
				rows = append(rows, apimResult{ID: c.ID, Subject: c.Subject, Thumbprint: c.Thumbprint,
					NotAfter: c.ExpirationDate.UTC(), DaysLeft: cmdutil.DaysLeft(c.ExpirationDate, f.Now())})
			}
			if f.JSON() {
				return cmdutil.WriteJSON(f.IO.Out, rows)
			}
			if len(rows) == 0 {
				f.IO.Notef("no certificates in %s", sess.Where)
				return nil
			}
			w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSUBJECT\tTHUMBPRINT\tLAST4\tEXPIRES\tDAYS")
			for _, r := range rows {
				last4 := r.Thumbprint
				if len(last4) > 4 {
					last4 = last4[len(last4)-4:]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", cmdutil.Printable(r.ID), cmdutil.Printable(r.Subject), cmdutil.Printable(r.Thumbprint), last4, r.NotAfter.Format(time.DateOnly), r.DaysLeft)
			}
			return w.Flush()
		},
	}
	cmdutil.AddAPIMFlags(cmd, opts, secret.InSyntax)
	return cmd
}

type apimDeleteOptions struct {
	apim   cmdutil.APIMFlags
	target string
	yes    bool
}

func newAPIMDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &apimDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete {<id>|<thumbprint>} --subscription <id> --resource-group <rg> --service <name>",
		Short: "Delete a client certificate of an API Management service",
		Long: `Delete one client certificate, named by its id or its SHA-1 thumbprint. On a
terminal azcert asks first; without one, --yes is required. A certificate
that is not there is reported and exits 0. A certificate still used by a
back end cannot be deleted until it is detached; azcert says so.`,
		Example: `  azcert apim delete contoso-net-0A1B2C3D --subscription $SUB --resource-group rg-api --service contoso-apim --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give one certificate id or thumbprint (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.target = args[0]
			return runAPIMDelete(f, cmd, opts)
		},
	}
	cmdutil.AddAPIMFlags(cmd, &opts.apim, secret.InSyntax)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func runAPIMDelete(f *cmdutil.Factory, cmd *cobra.Command, opts *apimDeleteOptions) error {
	if !opts.yes && !(f.IO.InTTY && f.IO.ErrTTY) {
		return cmdutil.UsageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	sess, err := f.APIManagement(cmd.Context(), &opts.apim)
	if err != nil {
		return err
	}
	ctx, cancel := opts.apim.Conn.WithTimeout(cmd.Context())
	defer cancel()
	id := opts.target
	// A thumbprint, unless it is a valid id that is not 40 hex digits.
	if p, perr := export.ParseThumbprint(opts.target); perr == nil && len(p.Sum) == 20 && (!apimclient.ValidID(opts.target) || len(opts.target) == 40) {
		thumb := export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure)
		certs, err := sess.Client.List(ctx)
		if err != nil {
			return apimError(fmt.Errorf("listing the certificates of %s: %w", sess.Where, err))
		}
		var ids []string
		for _, c := range certs {
			if c.Thumbprint == thumb {
				ids = append(ids, cmdutil.Printable(c.ID))
			}
		}
		switch len(ids) {
		case 0:
			return printDeleted(f, "", thumb, "not present; nothing to delete", sess.Where)
		case 1:
			id = ids[0]
		default:
			return cmdutil.UsageErrorf("thumbprint %s is uploaded under several ids (%s); name one", thumb, strings.Join(ids, ", "))
		}
	} else if !apimclient.ValidID(id) {
		return cmdutil.UsageErrorf("%q is neither a certificate id nor a SHA-1 thumbprint", opts.target)
	}
	if !opts.yes {
		fmt.Fprintf(f.IO.ErrOut, "Delete certificate %s from %s? [y/N] ", cmdutil.Printable(id), sess.Where)
		in, err := f.IO.Stdin("the confirmation")
		if err != nil {
			return err
		}
		answer, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return cmdutil.UsageErrorf("not deleted: the answer was not yes")
		}
	}
	deleted, err := sess.Client.Delete(ctx, id, "*")
	if err != nil {
		return apimError(fmt.Errorf("deleting %s from %s: %w", id, sess.Where, err))
	}
	status := "deleted"
	if !deleted {
		status = "not present; nothing to delete"
	}
	return printDeleted(f, id, "", status, sess.Where)
}

// printDeleted reports an apim delete: by id, or by the thumbprint that
// matched no id.
func printDeleted(f *cmdutil.Factory, id, thumb, status, where string) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, struct {
			ID         string `json:"id,omitempty"`
			Thumbprint string `json:"thumbprint,omitempty"`
			Status     string `json:"status"`
			From       string `json:"from"`
		}{id, thumb, status, where})
	}
	_, err := fmt.Fprintf(f.IO.Out, "%s  %s (%s)\n", cmdutil.Printable(id+thumb), status, where)
	return err
}
