package keyvault

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	kv "github.com/azcert/azcert/pkg/keyvault"
)

// ListOptions is what `azcert keyvault list` runs with.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Vault    cmdutil.KeyVaultFlags
	Versions string // --include-versions NAME: the versions of one certificate
}

// NewCmdList makes `azcert keyvault list`. runF, if not nil, replaces
// ListRun (tests check the options with it).
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list --vault <name|url> [--include-versions <name>]",
		Short: "List a key vault's certificates, or the versions of one",
		Long: `List the certificates of a key vault (name, thumbprint, expiry, enabled),
every page of them, or with --include-versions NAME every version of one
certificate.`,
		Example: `  azcert keyvault list --vault contoso-kv
  azcert keyvault list --vault contoso-kv --include-versions contoso-net -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Vault.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	cmdutil.AddKeyVaultFlags(cmd, &opts.Vault, secret.InSyntax)
	cmd.Flags().StringVar(&opts.Versions, "include-versions", "", "list the versions of this certificate")
	return cmd
}

// ListRun runs `azcert keyvault list`.
func ListRun(opts *ListOptions) error {
	if opts.Versions != "" {
		if err := checkName(opts.Versions); err != nil {
			return err
		}
	}
	sess, err := opts.Factory.KeyVault(opts.Ctx, &opts.Vault)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Vault.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	var certs []kv.Certificate
	if opts.Versions != "" {
		certs, err = sess.Client.ListVersions(ctx, opts.Versions)
	} else {
		certs, err = sess.Client.List(ctx)
	}
	if err != nil {
		return vaultError(fmt.Errorf("listing the certificates of %s: %w", sess.Where, err), opts.Versions, opts.Vault.Conn.Endpoint)
	}
	rows := []certResult{}
	for i := range certs {
		rows = append(rows, resultOf(&certs[i], ""))
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, rows)
	}
	if len(rows) == 0 {
		opts.IO.Notef("no certificates in %s", sess.Where)
		return nil
	}
	return printTable(opts, rows)
}

func printTable(opts *ListOptions, rows []certResult) error {
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	first := "NAME"
	if opts.Versions != "" {
		first = "VERSION"
	}
	fmt.Fprintf(w, "%s\tTHUMBPRINT\tEXPIRES\tENABLED\n", first)
	for _, r := range rows {
		what := r.Name
		if opts.Versions != "" {
			what = r.Version
		}
		exp := ""
		if r.NotAfter != nil {
			exp = r.NotAfter.Format(time.DateOnly)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", cmdutil.Printable(what), cmdutil.Printable(r.Thumbprint), exp, r.Enabled)
	}
	return w.Flush()
}
