package entra

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

// ListOptions is what `azcert entra list` runs with.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Entra cmdutil.EntraFlags
}

const listLong = `List the certificate credentials of an Entra ID application (or, with
--service-principal, of its service principal): keyId, thumbprint (Azure's
form: 40 upper-case hex digits), x5t (the base64url SHA-1 that tokens name
it by), start, end, and status: valid, expiring soon (within 30 days),
expired or not yet valid. Reading needs Application.Read.All (or ownership
of the application).`

// NewCmdList makes `azcert entra list`. runF, if not nil, replaces ListRun
// (tests check the options with it).
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list --app <id> [--service-principal]",
		Short: "List the certificate credentials of an Entra ID application",
		Long:  listLong,
		Example: `  # The application's certificates, with their status
  azcert entra list --app 41ccda45-f054-4b4c-828b-d68d4fc40758

  # Its service principal's, as JSON for a script
  azcert entra list --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --service-principal -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Entra.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	cmdutil.AddEntraFlags(cmd, &opts.Entra, secret.InSyntax)
	return cmd
}

// ListRun runs `azcert entra list`.
func ListRun(opts *ListOptions) error {
	if err := input.CheckStdin(nil, input.PasswordFlag{Name: "access-token", Spec: opts.Entra.AccessToken}); err != nil {
		return err
	}
	sess, err := opts.Factory.Graph(opts.Ctx, &opts.Entra)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Entra.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	obj, err := find(ctx, sess, &opts.Entra, true)
	if err != nil {
		return err
	}
	now := opts.Factory.Now()
	rows := []credResult{}
	for i := range obj.KeyCredentials {
		rows = append(rows, resultOf(&obj.KeyCredentials[i], now))
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, rows)
	}
	if len(rows) == 0 {
		opts.IO.Notef("%s has no certificate credentials", describe(obj))
		return nil
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "KEY ID\tTHUMBPRINT\tX5T\tSTART\tEND\tSTATUS\n")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", cmdutil.Printable(r.KeyID), cmdutil.Printable(r.Thumbprint), r.X5T, date(r.Start), date(r.End), r.Status)
	}
	return w.Flush()
}

func date(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateOnly)
}
