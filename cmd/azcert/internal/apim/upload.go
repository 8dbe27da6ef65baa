package apim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/export"
)

// UploadOptions is what `azcert apim upload` runs with.
type UploadOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	APIM       cmdutil.APIMFlags
	File       string
	ID         string
	InPassword string
	Force      bool
}

const uploadLong = `Upload a .pfx as a client certificate of the API Management service.

Before anything is sent the file is checked: a .pfx with its private key,
RSA of at least 2048 bits, not expired; its password is verified locally.
The id defaults to the certificate's name and the last eight characters of
its thumbprint (e.g. contoso-net-0A1B2C3D). Uploading the same certificate
again is success; replacing a certificate of that id that has another
thumbprint needs --force.`

// NewCmdUpload makes `azcert apim upload`. runF, if not nil, replaces
// UploadRun.
func NewCmdUpload(f *cmdutil.Factory, runF func(*UploadOptions) error) *cobra.Command {
	opts := &UploadOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "upload <file.pfx> --subscription <id> --resource-group <rg> --service <name> [--id <id>]",
		Short:             "Upload a client certificate (.pfx with its password)",
		ValidArgsFunction: cmdutil.FileArgs("pfx", "p12"),
		Long:              uploadLong,
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
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			opts.APIM.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return UploadRun(opts)
		},
	}
	cmdutil.AddAPIMFlags(cmd, &opts.APIM, secret.InSyntax)
	cmd.Flags().StringVar(&opts.ID, "id", "", "certificate id in API Management (default: derived from the certificate)")
	cmd.Flags().StringVar(&opts.InPassword, "in-password", "", "password source for the .pfx: "+secret.InSyntax)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace a certificate of this id that has another thumbprint")
	return cmd
}

// UploadRun runs `azcert apim upload`: the .pfx is checked locally, then
// uploaded unless the id already holds it.
func UploadRun(opts *UploadOptions) error {
	l, err := loadUploadable(opts)
	if err != nil {
		return err
	}
	f := opts.Factory
	sess, err := f.APIManagement(opts.Ctx, &opts.APIM)
	if err != nil {
		return err
	}
	id := opts.ID
	if id == "" {
		id = apimclient.DefaultID(l.Bundle.Cert)
	}
	thumb := export.FormatThumbprint(export.Thumbprint(l.Bundle.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
	ctx, cancel := opts.APIM.Conn.WithTimeout(opts.Ctx)
	defer cancel()

	ifMatch, status := "", "uploaded"
	existing, err := sess.Client.Get(ctx, id)
	switch {
	case err == nil && strings.EqualFold(existing.Thumbprint, thumb):
		return printUploaded(opts, *existing, "already present")
	case err == nil && !opts.Force:
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
				return printUploaded(opts, *made, status)
			}
		}
		return apimError(fmt.Errorf("uploading %s to %s: %w", opts.File, sess.Where, err))
	}
	return printUploaded(opts, *cert, status)
}

// loadUploadable checks the flags, reads the .pfx with its password and
// applies Azure's rules to it, all before anything is sent.
func loadUploadable(opts *UploadOptions) (*input.Loaded, error) {
	if err := input.CheckStdin([]string{opts.File}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}, input.PasswordFlag{Name: "access-token", Spec: opts.APIM.AccessToken}); err != nil {
		return nil, err
	}
	if opts.ID != "" && !apimclient.ValidID(opts.ID) {
		return nil, cmdutil.UsageErrorf("--id %q: 1-80 letters, digits and hyphens, starting with a letter and ending with a letter or digit", opts.ID)
	}
	l, err := input.LoadFile(opts.Factory, opts.File, secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return nil, err
	}
	if l.Bundle.Format != export.FormatPKCS12 {
		return nil, cmdutil.WithHint(cmdutil.InputErrorf("%s is not a .pfx; API Management takes the certificate with its key as a .pfx", opts.File),
			"make one from it and its PEM key file with azcert export's --pfx and --key, or give the .pfx that azcert new wrote")
	}
	if err := cmdutil.CheckUploadable(opts.File, l.Bundle, opts.Factory.Now(), true); err != nil {
		return nil, err
	}
	return l, nil
}

// printUploaded prints the certificate an upload left under its id.
func printUploaded(opts *UploadOptions, c apimclient.Certificate, status string) error {
	r := resultOf(c, opts.Factory.Now(), status)
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	_, err := fmt.Fprintf(opts.IO.Out, "%s  %s  %s  expires %s  %s\n", cmdutil.Printable(r.ID), cmdutil.Printable(r.Thumbprint), cmdutil.Printable(r.Subject), r.NotAfter.Format(time.DateOnly), status)
	return err
}
