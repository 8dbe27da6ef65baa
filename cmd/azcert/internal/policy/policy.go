// Package policy holds `azcert policy` and its commands, which print Azure
// policies that check certificates: today `azcert policy apim`, the API
// Management inbound policy for client certificates.
package policy

import (
	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// NewCmdGroup makes `azcert policy`, the parent of one command per kind
// of policy.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy <command>",
		Short: "Print Azure policies that check certificates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a policy kind, e.g. azcert policy apim --help")
		},
	}
	cmd.AddCommand(NewCmdAPIM(f, nil))
	return cmd
}
