package keyvault

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	kv "github.com/azcert/azcert/pkg/keyvault"
)

// DeleteOptions is what `azcert keyvault delete` runs with.
type DeleteOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Vault cmdutil.KeyVaultFlags
	Name  string
	Purge bool
	Yes   bool
}

const deleteLong = `Delete a certificate from a key vault. Key Vault keeps a deleted
certificate (with its key and secret) recoverable until its scheduled purge
date, and its name cannot be imported again until then: 'azcert keyvault
recover' brings it back. --purge also purges it at once, for good (the
vault's purge protection may forbid that). A certificate that is not there
is not an error (exit 0). On a terminal it asks first; without one it needs
--yes.`

// NewCmdDelete makes `azcert keyvault delete`. runF, if not nil, replaces
// DeleteRun (tests check the options with it).
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "delete <name> --vault <name|url> [--purge]",
		Short: "Delete a certificate from a key vault (soft delete; --purge for good)",
		Long:  deleteLong,
		Example: `  azcert keyvault delete contoso-net --vault contoso-kv --yes
  azcert keyvault delete contoso-net --vault contoso-kv --purge --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give the certificate's name in the vault")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.Name = cmd.Context(), args[0]
			opts.Vault.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return DeleteRun(opts)
		},
	}
	cmdutil.AddKeyVaultFlags(cmd, &opts.Vault, secret.InSyntax)
	cmd.Flags().BoolVar(&opts.Purge, "purge", false, "also purge the deleted certificate, for good")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// DeleteRun runs `azcert keyvault delete`.
func DeleteRun(opts *DeleteOptions) error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	if !opts.Yes && !(opts.IO.InTTY && opts.IO.ErrTTY) {
		return cmdutil.UsageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	sess, err := opts.Factory.KeyVault(opts.Ctx, &opts.Vault)
	if err != nil {
		return err
	}
	if !opts.Yes {
		if err := confirm(opts, sess.Where); err != nil {
			return err
		}
	}
	ctx, cancel := opts.Vault.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	fail := func(what string, err error) error {
		return vaultError(fmt.Errorf("%s %s in %s: %w", what, opts.Name, sess.Where, err), opts.Name, opts.Vault.Conn.Endpoint)
	}
	d, err := sess.Client.Delete(ctx, opts.Name)
	switch {
	case kv.IsNotFound(err) && opts.Purge:
		// Deleted before, perhaps: then it is purged now.
		if d, err = sess.Client.GetDeleted(ctx, opts.Name); kv.IsNotFound(err) {
			return printStatus(opts, "not present; nothing to delete", sess.Where)
		}
	case kv.IsNotFound(err):
		return printStatus(opts, "not present; nothing to delete", sess.Where)
	}
	if err != nil {
		return fail("deleting", err)
	}
	if !opts.Purge {
		return printCert(opts.Factory, deletedResult(d, "deleted"))
	}
	if err := purge(ctx, sess, opts.Name); err != nil {
		return fail("purging", err)
	}
	return printCert(opts.Factory, deletedResult(d, "purged"))
}

func confirm(opts *DeleteOptions, where string) error {
	what := "Delete"
	if opts.Purge {
		what = "Delete and purge (for good)"
	}
	return opts.IO.Confirm(fmt.Sprintf("%s certificate %s from %s?", what, opts.Name, where), "not deleted")
}

// purge purges a deleted certificate once Key Vault has finished deleting
// it (deletion is asynchronous: until then the deleted certificate is not
// found, or a purge conflicts).
func purge(ctx context.Context, sess *cmdutil.KeyVaultSession, name string) error {
	if err := await(ctx, func() error { _, err := sess.Client.GetDeleted(ctx, name); return err }); err != nil {
		return err
	}
	return sess.Client.Purge(ctx, name)
}

// await calls try until it succeeds or fails otherwise than "not found
// yet", at most every second, within ctx (bounded by --timeout).
func await(ctx context.Context, try func() error) error {
	for {
		err := try()
		if !kv.IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// printStatus reports a delete that found nothing to delete.
func printStatus(opts *DeleteOptions, status, where string) error {
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			From   string `json:"from"`
		}{opts.Name, status, where})
	}
	_, err := fmt.Fprintf(opts.IO.Out, "%s  %s (%s)\n", opts.Name, status, where)
	return err
}
