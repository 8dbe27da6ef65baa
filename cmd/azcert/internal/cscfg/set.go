package cscfg

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
)

// SetOptions is what `azcert cscfg set` runs with.
type SetOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	File       string
	Name       string
	Role       string
	Thumbprint string
	Cert       string
	Csdef      string
	InPassword string
}

const setLong = `Set the thumbprint (upper case, thumbprintAlgorithm="sha1") of the certificate
called --name in every role that declares it, or only in --role. Every other
byte of the file stays as it was: comments, attribute order, indentation,
line endings, a byte-order mark, and the file's mode. The file is replaced
atomically.

A name the configuration does not declare is exit 3, with the declared names.
With --csdef the name must also be declared in the service definition.
Invisible characters pasted from the Windows certificate dialog are removed
from --thumbprint with a warning.`

// NewCmdSet makes `azcert cscfg set`. runF, if not nil, replaces SetRun.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "set <file.cscfg> --name <name> {--thumbprint <T> | --cert <file>} [--role <role>]",
		Short:             "Set a certificate's thumbprint in a service configuration",
		ValidArgsFunction: cmdutil.FileArgs("cscfg"),
		Long:              setLong,
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
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return SetRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "the certificate's name in the configuration (required)")
	fl.StringVar(&opts.Role, "role", "", "change only this role")
	fl.StringVar(&opts.Thumbprint, "thumbprint", "", "the new SHA-1 thumbprint")
	fl.StringVar(&opts.Cert, "cert", "", "take the thumbprint from this certificate file")
	fl.StringVar(&opts.Csdef, "csdef", "", "service definition (.csdef) that must declare the certificate")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source when --cert is a .pfx: "+secret.InSyntax)
	_ = cmd.MarkFlagFilename("csdef", "csdef")
	_ = cmd.MarkFlagFilename("cert", cmdutil.CertExts...)
	return cmd
}

// setResult is what `azcert cscfg set -o json` prints.
type setResult struct {
	Cscfg      string `json:"cscfg"`
	Name       string `json:"name"`
	Thumbprint string `json:"thumbprint"`
	Changed    []row  `json:"changed"`
}

// SetRun runs `azcert cscfg set`: it finds the new thumbprint, edits the
// file with SetInFile and prints what it changed.
func SetRun(opts *SetOptions) error {
	if opts.Name == "" {
		return cmdutil.UsageErrorf("--name is required: the certificate's name in the configuration")
	}
	if (opts.Thumbprint == "") == (opts.Cert == "") {
		return cmdutil.UsageErrorf("give the new thumbprint with --thumbprint or --cert (one of them)")
	}
	if opts.File == "-" {
		return cmdutil.UsageErrorf("cscfg set edits a file in place; give its path")
	}
	thumb, err := thumbprintArg(opts.Ctx, opts.Factory, opts.Thumbprint, opts.Cert, opts.InPassword)
	if err != nil {
		return err
	}
	changed, err := SetInFile(opts.Factory, opts.File, opts.Name, opts.Role, thumb, opts.Csdef)
	if err != nil {
		return err
	}
	if opts.Factory.JSON() {
		r := setResult{Cscfg: opts.File, Name: opts.Name, Thumbprint: thumb, Changed: []row{}}
		for _, e := range changed {
			r.Changed = append(r.Changed, row{Role: e.Role, Name: e.Name, PreviousThumbprint: e.Thumbprint})
		}
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	for _, e := range changed {
		fmt.Fprintf(opts.IO.Out, "%s  %s/%s  (was %s)\n", thumb, cmdutil.Printable(e.Role), cmdutil.Printable(e.Name), cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)))
	}
	return nil
}

// thumbprintArg reads a thumbprint from --thumbprint or a --cert file.
func thumbprintArg(ctx context.Context, f *cmdutil.Factory, thumbprint, certFile, inPassword string) (string, error) {
	if certFile != "" {
		b, err := input.Load(ctx, f, certFile, inPassword, 0)
		if err != nil {
			return "", err
		}
		return export.FormatThumbprint(export.Thumbprint(b.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure), nil
	}
	p, err := export.ParseThumbprint(thumbprint)
	if err != nil || len(p.Sum) != 20 {
		return "", cmdutil.UsageErrorf("--thumbprint %q: a .cscfg thumbprint is 40 hex digits (SHA-1)", thumbprint)
	}
	if p.Stripped {
		f.IO.Warnf("--thumbprint: removed invisible characters (as copied from the Windows certificate dialog)")
	}
	return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), nil
}
