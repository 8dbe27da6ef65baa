package apim

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

// ListOptions is what `azcert apim list` runs with.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	APIM cmdutil.APIMFlags
}

// NewCmdList makes `azcert apim list`. runF, if not nil, replaces ListRun.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list --subscription <id> --resource-group <rg> --service <name>",
		Short: "List the client certificates of an API Management service",
		Example: `  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim
  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.APIM.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	cmdutil.AddAPIMFlags(cmd, &opts.APIM, secret.InSyntax)
	return cmd
}

// ListRun runs `azcert apim list`: a table of the service's certificates,
// or a JSON array.
func ListRun(opts *ListOptions) error {
	f := opts.Factory
	sess, err := f.APIManagement(opts.Ctx, &opts.APIM)
	if err != nil {
		return err
	}
	ctx, cancel := opts.APIM.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	certs, err := sess.Client.List(ctx)
	if err != nil {
		return apimError(fmt.Errorf("listing the certificates of %s: %w", sess.Where, err))
	}
	rows := []certResult{}
	for _, c := range certs {
		rows = append(rows, resultOf(c, f.Now(), ""))
	}
	if f.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, rows)
	}
	if len(rows) == 0 {
		opts.IO.Notef("no certificates in %s", sess.Where)
		return nil
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSUBJECT\tTHUMBPRINT\tLAST4\tEXPIRES\tDAYS")
	for _, r := range rows {
		last4 := r.Thumbprint
		if len(last4) > 4 {
			last4 = last4[len(last4)-4:]
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", cmdutil.Printable(r.ID), cmdutil.Printable(r.Subject), cmdutil.Printable(r.Thumbprint), last4, r.NotAfter.Format(time.DateOnly), r.DaysLeft)
	}
	return w.Flush()
}
