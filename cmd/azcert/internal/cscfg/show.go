package cscfg

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	cscfgfile "github.com/azcert/azcert/pkg/cscfg"
)

// ShowOptions is what `azcert cscfg show` runs with.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	File string
}

// NewCmdShow makes `azcert cscfg show`. runF, if not nil, replaces ShowRun.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Factory: f}
	return &cobra.Command{
		Use:               "show <file.cscfg>",
		Short:             "List the certificates a service configuration names",
		ValidArgsFunction: cmdutil.FileArgs("cscfg"),
		Example: `  azcert cscfg show ServiceConfiguration.Cloud.cscfg
  azcert cscfg show ServiceConfiguration.Cloud.cscfg -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one .cscfg file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return ShowRun(opts)
		},
	}
}

// ShowRun runs `azcert cscfg show`: a table of the configuration's
// certificates, or a JSON array.
func ShowRun(opts *ShowOptions) error {
	data, err := input.Read(opts.Factory, opts.File)
	if err != nil {
		return err
	}
	entries, err := cscfgfile.Parse(data)
	if err != nil {
		return cmdutil.InputErrorf("%s: %w", opts.File, err)
	}
	if opts.Factory.JSON() {
		rows := []row{}
		for _, e := range entries {
			rows = append(rows, row{Role: e.Role, Name: e.Name, Thumbprint: e.Thumbprint, Algorithm: e.Algorithm})
		}
		return cmdutil.WriteJSON(opts.IO.Out, rows)
	}
	if len(entries) == 0 {
		opts.IO.Notef("%s names no certificates", opts.File)
		return nil
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ROLE\tCERTIFICATE\tTHUMBPRINT\tALGORITHM")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cmdutil.Printable(e.Role), cmdutil.Printable(e.Name), cmdutil.Printable(e.Thumbprint), cmdutil.Printable(e.Algorithm))
	}
	return w.Flush()
}
