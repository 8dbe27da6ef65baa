package keyvault

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

// RecoverOptions is what `azcert keyvault recover` runs with.
type RecoverOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Vault cmdutil.KeyVaultFlags
	Name  string
}

// NewCmdRecover makes `azcert keyvault recover`. runF, if not nil, replaces
// RecoverRun (tests check the options with it).
func NewCmdRecover(f *cmdutil.Factory, runF func(*RecoverOptions) error) *cobra.Command {
	opts := &RecoverOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "recover <name> --vault <name|url>",
		Short: "Recover a deleted certificate of a key vault",
		Long: `Recover a certificate that was deleted but not purged, with its key and
secret, and wait until it is back.`,
		Example: `  azcert keyvault recover contoso-net --vault contoso-kv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give the deleted certificate's name")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.Name = cmd.Context(), args[0]
			opts.Vault.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return RecoverRun(opts)
		},
	}
	cmdutil.AddKeyVaultFlags(cmd, &opts.Vault, secret.InSyntax)
	return cmd
}

// RecoverRun runs `azcert keyvault recover`.
func RecoverRun(opts *RecoverOptions) error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	sess, err := opts.Factory.KeyVault(opts.Ctx, &opts.Vault)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Vault.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	fail := func(err error) error {
		return vaultError(fmt.Errorf("recovering %s in %s: %w", opts.Name, sess.Where, err), opts.Name, opts.Vault.Conn.Endpoint)
	}
	if _, err := sess.Client.Recover(ctx, opts.Name); err != nil {
		return fail(err)
	}
	// Recovery is asynchronous: the certificate is back once it is found.
	c, err := sess.Client.Get(ctx, opts.Name, "")
	if err != nil {
		if err = await(ctx, func() error { c, err = sess.Client.Get(ctx, opts.Name, ""); return err }); err != nil {
			return fail(err)
		}
	}
	return printCert(opts.Factory, resultOf(c, "recovered"))
}
