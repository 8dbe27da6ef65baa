package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/cscfg"
	"github.com/azcert/azcert/pkg/export"
)

func newCscfgCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cscfg <command>",
		Short: "Read or change certificate thumbprints in a service configuration (.cscfg)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert cscfg show or azcert cscfg set")
		},
	}
	cmd.AddCommand(newCscfgShowCmd(f), newCscfgSetCmd(f))
	return cmd
}

func newCscfgShowCmd(f *cmdutil.Factory) *cobra.Command {
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
			data, err := input.Read(f, args[0])
			if err != nil {
				return err
			}
			entries, err := cscfg.Parse(data)
			if err != nil {
				return cmdutil.InputErrorf("%s: %w", args[0], err)
			}
			if f.JSON() {
				rows := []cscfgRow{}
				for _, e := range entries {
					rows = append(rows, cscfgRow{Role: e.Role, Name: e.Name, Thumbprint: e.Thumbprint, Algorithm: e.Algorithm})
				}
				return cmdutil.WriteJSON(f.IO.Out, rows)
			}
			if len(entries) == 0 {
				f.IO.Notef("%s names no certificates", args[0])
				return nil
			}
			w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ROLE\tCERTIFICATE\tTHUMBPRINT\tALGORITHM")
			for _, e := range entries {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cmdutil.Printable(e.Role), cmdutil.Printable(e.Name), cmdutil.Printable(e.Thumbprint), cmdutil.Printable(e.Algorithm))
			}
			return w.Flush()
		},
	}
}

type cscfgSetOptions struct {
	file       string
	name       string
	role       string
	thumbprint string
	cert       string
	csdef      string
	inPassword string
}

func newCscfgSetCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &cscfgSetOptions{}
	cmd := &cobra.Command{
		Use:               "set <file.cscfg> --name <name> {--thumbprint <T> | --cert <file>} [--role <role>]",
		Short:             "Set a certificate's thumbprint in a service configuration",
		ValidArgsFunction: cmdutil.FileArgs("cscfg"),
		Long: `Set the thumbprint (upper case, thumbprintAlgorithm="sha1") of the certificate
called --name in every role that declares it, or only in --role. Every other
byte of the file stays as it was: comments, attribute order, indentation,
line endings, a byte-order mark, and the file's mode. The file is replaced
atomically.

A name the configuration does not declare is exit 3, with the declared names.
With --csdef the name must also be declared in the service definition.
Invisible characters pasted from the Windows certificate dialog are removed
from --thumbprint with a warning.`,
		Example: `  # Point the SSL certificate at a new .cer
  azcert cscfg set ServiceConfiguration.Cloud.cscfg --name SSL --cert contoso.net.cer

  # One role only, checked against the service definition
  azcert cscfg set ServiceConfiguration.Cloud.cscfg --name SSL --role WebRole1 \
    --thumbprint 3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345 --csdef ServiceDefinition.csdef`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give exactly one .cscfg file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = args[0]
			return runCscfgSet(f, cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "the certificate's name in the configuration (required)")
	fl.StringVar(&opts.role, "role", "", "change only this role")
	fl.StringVar(&opts.thumbprint, "thumbprint", "", "the new SHA-1 thumbprint")
	fl.StringVar(&opts.cert, "cert", "", "take the thumbprint from this certificate file")
	fl.StringVar(&opts.csdef, "csdef", "", "service definition (.csdef) that must declare the certificate")
	fl.StringVar(&opts.inPassword, "in-password", "", "password source when --cert is a .pfx: "+secret.InSyntax)
	_ = cmd.MarkFlagFilename("csdef", "csdef")
	_ = cmd.MarkFlagFilename("cert", cmdutil.CertExts...)
	return cmd
}

// cscfgRow is one <Certificate> of a configuration in JSON.
type cscfgRow struct {
	Role       string `json:"role"`
	Name       string `json:"name"`
	Thumbprint string `json:"thumbprint,omitempty"`
	// Algorithm is the thumbprintAlgorithm attribute (cscfg show).
	Algorithm string `json:"thumbprintAlgorithm,omitempty"`
	// PreviousThumbprint is the thumbprint before cscfg set changed it.
	PreviousThumbprint string `json:"previousThumbprint,omitempty"`
}

type cscfgSetResult struct {
	Cscfg      string     `json:"cscfg"`
	Name       string     `json:"name"`
	Thumbprint string     `json:"thumbprint"`
	Changed    []cscfgRow `json:"changed"`
}

func runCscfgSet(f *cmdutil.Factory, cmd *cobra.Command, opts *cscfgSetOptions) error {
	if opts.name == "" {
		return cmdutil.UsageErrorf("--name is required: the certificate's name in the configuration")
	}
	if (opts.thumbprint == "") == (opts.cert == "") {
		return cmdutil.UsageErrorf("give the new thumbprint with --thumbprint or --cert (one of them)")
	}
	if opts.file == "-" {
		return cmdutil.UsageErrorf("cscfg set edits a file in place; give its path")
	}
	thumb, err := thumbprintArg(f, cmd, opts.thumbprint, opts.cert, opts.inPassword)
	if err != nil {
		return err
	}
	changed, err := setCscfg(f, opts.file, opts.name, opts.role, thumb, opts.csdef)
	if err != nil {
		return err
	}
	if f.JSON() {
		r := cscfgSetResult{Cscfg: opts.file, Name: opts.name, Thumbprint: thumb, Changed: []cscfgRow{}}
		for _, e := range changed {
			r.Changed = append(r.Changed, cscfgRow{Role: e.Role, Name: e.Name, PreviousThumbprint: e.Thumbprint})
		}
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	for _, e := range changed {
		fmt.Fprintf(f.IO.Out, "%s  %s/%s  (was %s)\n", thumb, cmdutil.Printable(e.Role), cmdutil.Printable(e.Name), cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)))
	}
	return nil
}

// thumbprintArg reads a thumbprint from --thumbprint or a --cert file.
func thumbprintArg(f *cmdutil.Factory, cmd *cobra.Command, thumbprint, certFile, inPassword string) (string, error) {
	if certFile != "" {
		b, err := input.Load(cmd.Context(), f, certFile, inPassword, 0)
		if err != nil {
			return "", err
		}
		return export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure), nil
	}
	p, err := export.ParseThumbprint(thumbprint)
	if err != nil || len(p.Sum) != 20 {
		return "", cmdutil.InputErrorf("--thumbprint %q: a .cscfg thumbprint is 40 hex digits (SHA-1)", thumbprint)
	}
	if p.Stripped {
		f.IO.Warnf("--thumbprint: removed invisible characters (as copied from the Windows certificate dialog)")
	}
	return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), nil
}

// setCscfg changes the thumbprint in the file atomically, keeping its
// mode. It returns the entries as they were before.
func setCscfg(f *cmdutil.Factory, file, name, role, thumb, csdef string) ([]cscfg.Entry, error) {
	path, err := filepath.EvalSymlinks(file)
	if err != nil {
		return nil, cmdutil.InputErrorf("%s: %w", file, secret.UnwrapPath(err))
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, cmdutil.InputErrorf("%s: %w", file, secret.UnwrapPath(err))
	}
	data, err := input.Read(f, path)
	if err != nil {
		return nil, err
	}
	if csdef != "" {
		def, err := input.Read(f, csdef)
		if err != nil {
			return nil, err
		}
		if err := cscfg.CheckAgainstDefinition(data, def, name, role); err != nil {
			return nil, cmdutil.InputErrorf("%s: %w", csdef, err)
		}
	}
	out, changed, err := cscfg.SetThumbprint(data, name, role, thumb)
	if err != nil {
		var nf *cscfg.NameNotFoundError
		if errors.As(err, &nf) {
			return nil, cmdutil.InputErrorf("%s: %w", file, err)
		}
		return nil, cmdutil.InputErrorf("%s: %w", file, err)
	}
	if string(out) != string(data) {
		if err := export.WriteFiles([]export.File{{Path: path, Data: out, Mode: st.Mode().Perm()}}, true); err != nil {
			return nil, err
		}
	} else {
		f.IO.Notef("%s already names %s for %s; unchanged", file, thumb, name)
	}
	return changed, nil
}
