// Package cscfg holds `azcert cscfg` and its commands, which read and set
// the certificate thumbprints of a Cloud Services service configuration
// (.cscfg), and SetInFile, the in-place edit that `azcert rotate` makes too.
//
// The file format itself is pkg/cscfg's, imported here as cscfgfile.
package cscfg

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	cscfgfile "github.com/azcert/azcert/pkg/cscfg"
	"github.com/azcert/azcert/pkg/export"
)

// NewCmdGroup makes `azcert cscfg`, the parent of show and set.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cscfg <command>",
		Short: "Read or change certificate thumbprints in a service configuration (.cscfg)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert cscfg show or azcert cscfg set")
		},
	}
	cmd.AddCommand(NewCmdShow(f, nil), NewCmdSet(f, nil))
	return cmd
}

// row is one <Certificate> of a configuration in JSON.
type row struct {
	Role       string `json:"role"`
	Name       string `json:"name"`
	Thumbprint string `json:"thumbprint,omitempty"`
	// Algorithm is the thumbprintAlgorithm attribute (cscfg show).
	Algorithm string `json:"thumbprintAlgorithm,omitempty"`
	// PreviousThumbprint is the thumbprint before cscfg set changed it.
	PreviousThumbprint string `json:"previousThumbprint,omitempty"`
}

// SetInFile sets the thumbprint thumb of the certificate called name in
// the .cscfg file (in role only, unless role is ""), replacing the file
// atomically and keeping its mode and every other byte. With csdef, the
// name must be declared in that service definition too. It returns the
// entries it changed as they were before; when the file already names
// thumb it is left alone, with a note.
func SetInFile(f *cmdutil.Factory, file, name, role, thumb, csdef string) ([]cscfgfile.Entry, error) {
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
		if err := cscfgfile.CheckAgainstDefinition(data, def, name, role); err != nil {
			return nil, cmdutil.InputErrorf("%s: %w", csdef, err)
		}
	}
	out, changed, err := cscfgfile.SetThumbprint(data, name, role, thumb)
	if err != nil {
		// A *cscfgfile.NameNotFoundError lists the declared names.
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
