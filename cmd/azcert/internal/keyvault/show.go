package keyvault

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

// ShowOptions is what `azcert keyvault show` runs with.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Vault   cmdutil.KeyVaultFlags
	Name    string
	Version string
}

// NewCmdShow makes `azcert keyvault show`. runF, if not nil, replaces
// ShowRun (tests check the options with it).
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "show <name> --vault <name|url> [--version <version>]",
		Short: "Show a certificate of a key vault: ids, thumbprint, validity",
		Long: `Show a certificate of a key vault, its current version or --version V: its
id, secret id (sid), key id, x5t, thumbprint, validity, enabled and tags.`,
		Example: `  azcert keyvault show contoso-net --vault contoso-kv
  azcert keyvault show contoso-net --vault contoso-kv -o json | jq -r .sid`,
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
			return ShowRun(opts)
		},
	}
	cmdutil.AddKeyVaultFlags(cmd, &opts.Vault, secret.InSyntax)
	cmd.Flags().StringVar(&opts.Version, "version", "", "a version of the certificate (default: the current one)")
	return cmd
}

// ShowRun runs `azcert keyvault show`.
func ShowRun(opts *ShowOptions) error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	sess, err := opts.Factory.KeyVault(opts.Ctx, &opts.Vault)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Vault.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	c, err := sess.Client.Get(ctx, opts.Name, opts.Version)
	if err != nil {
		return vaultError(fmt.Errorf("reading %s from %s: %w", opts.Name, sess.Where, err), opts.Name, opts.Vault.Conn.Endpoint)
	}
	return printCert(opts.Factory, resultOf(c, ""))
}
