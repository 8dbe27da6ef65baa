package apim

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/export"
)

// DeleteOptions is what `azcert apim delete` runs with.
type DeleteOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	APIM   cmdutil.APIMFlags
	Target string // an id or a SHA-1 thumbprint
	Yes    bool
}

const deleteLong = `Delete one client certificate, named by its id or its SHA-1 thumbprint. On a
terminal azcert asks first; without one, --yes is required. A certificate
that is not there is reported and exits 0. A certificate still used by a
back end cannot be deleted until it is detached; azcert says so.`

// notPresent is the status of a delete that found nothing to delete.
const notPresent = "not present; nothing to delete"

// NewCmdDelete makes `azcert apim delete`. runF, if not nil, replaces
// DeleteRun.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "delete {<id>|<thumbprint>} --subscription <id> --resource-group <rg> --service <name>",
		Short:   "Delete a client certificate of an API Management service",
		Long:    deleteLong,
		Example: `  azcert apim delete contoso-net-0A1B2C3D --subscription $SUB --resource-group rg-api --service contoso-apim --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give one certificate id or thumbprint (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Target = args[0]
			opts.APIM.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return DeleteRun(opts)
		},
	}
	cmdutil.AddAPIMFlags(cmd, &opts.APIM, secret.InSyntax)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// DeleteRun runs `azcert apim delete`: it finds the id (by thumbprint if
// given one), asks on a terminal unless --yes, and deletes.
func DeleteRun(opts *DeleteOptions) error {
	if !opts.Yes && !(opts.IO.InTTY && opts.IO.ErrTTY) {
		return cmdutil.UsageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	sess, err := opts.Factory.APIManagement(opts.Ctx, &opts.APIM)
	if err != nil {
		return err
	}
	ctx, cancel := opts.APIM.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	id, missing, err := targetID(ctx, opts.Target, sess)
	if err != nil {
		return err
	}
	if missing != "" {
		return printDeleted(opts, "", missing, notPresent, sess.Where)
	}
	if !opts.Yes {
		if err := confirmDelete(opts, id, sess.Where); err != nil {
			return err
		}
	}
	deleted, err := sess.Client.Delete(ctx, id, "*")
	if err != nil {
		return apimError(fmt.Errorf("deleting %s from %s: %w", id, sess.Where, err))
	}
	status := "deleted"
	if !deleted {
		status = notPresent
	}
	return printDeleted(opts, id, "", status, sess.Where)
}

// targetID is the certificate id that target names: target itself, or
// the one id holding the thumbprint target. A thumbprint that no id holds
// comes back as missing.
func targetID(ctx context.Context, target string, sess *cmdutil.APIMSession) (id, missing string, err error) {
	// A thumbprint, unless it is a valid id that is not 40 hex digits.
	p, perr := export.ParseThumbprint(target)
	if perr != nil || len(p.Sum) != 20 || (apimclient.ValidID(target) && len(target) != 40) {
		if !apimclient.ValidID(target) {
			return "", "", cmdutil.UsageErrorf("%q is neither a certificate id nor a SHA-1 thumbprint", target)
		}
		return target, "", nil
	}
	thumb := export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure)
	certs, err := sess.Client.List(ctx)
	if err != nil {
		return "", "", apimError(fmt.Errorf("listing the certificates of %s: %w", sess.Where, err))
	}
	var ids []string
	for _, c := range certs {
		if c.Thumbprint == thumb {
			ids = append(ids, cmdutil.Printable(c.ID))
		}
	}
	switch len(ids) {
	case 0:
		return "", thumb, nil
	case 1:
		return ids[0], "", nil
	default:
		return "", "", cmdutil.UsageErrorf("thumbprint %s is uploaded under several ids (%s); name one", thumb, strings.Join(ids, ", "))
	}
}

// confirmDelete asks on the terminal and fails unless the answer is yes.
func confirmDelete(opts *DeleteOptions, id, where string) error {
	return opts.IO.Confirm(fmt.Sprintf("Delete certificate %s from %s?", id, where), "not deleted")
}

// printDeleted reports an apim delete: by id, or by the thumbprint that
// matched no id.
func printDeleted(opts *DeleteOptions, id, thumb, status, where string) error {
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			ID         string `json:"id,omitempty"`
			Thumbprint string `json:"thumbprint,omitempty"`
			Status     string `json:"status"`
			From       string `json:"from"`
		}{id, thumb, status, where})
	}
	_, err := fmt.Fprintf(opts.IO.Out, "%s  %s (%s)\n", cmdutil.Printable(id+thumb), status, where)
	return err
}
