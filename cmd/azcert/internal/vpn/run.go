package vpn

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/network"
)

// oneRootFileArgs is the Args of a command that takes one root certificate file.
func oneRootFileArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return cmdutil.UsageErrorf("give exactly one root certificate file (got %d)", len(args))
	}
	return nil
}

// nameOrThumbprintArgs is the Args of a command that takes one argument
// or --thumbprint: one is the argument as counted ("client certificate
// file"), either it as a choice with --thumbprint ("the client
// certificate's file"). An empty one is refused: it would match nothing,
// and `remove "$NAME" --yes` with NAME unset would report "not present"
// and succeed.
func nameOrThumbprintArgs(one, either string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		th := cmd.Flags().Changed("thumbprint")
		switch {
		case len(args) > 1:
			return cmdutil.UsageErrorf("give one %s (got %d)", one, len(args))
		case len(args) == 1 && th:
			return cmdutil.UsageErrorf("give %s or --thumbprint, not both", either)
		case len(args) == 0 && !th:
			return cmdutil.UsageErrorf("give %s or --thumbprint", either)
		case len(args) == 1 && args[0] == "":
			return cmdutil.UsageErrorf("%s is empty", either)
		case th && cmd.Flags().Lookup("thumbprint").Value.String() == "":
			return cmdutil.UsageErrorf("--thumbprint is empty")
		}
		return nil
	}
}

// runE is a command's RunE: it keeps the command's context in *ctx, the
// one argument, if any, in *arg (when arg is not nil) and whether --cloud
// was given in net (when net is not nil), then runs runF, or run when
// runF is nil.
func runE[O any](opts *O, ctx *context.Context, arg *string, net *cmdutil.NetworkFlags, runF, run func(*O) error) func(*cobra.Command, []string) error {
	if runF == nil {
		runF = run
	}
	return func(cmd *cobra.Command, args []string) error {
		*ctx = cmd.Context()
		if arg != nil && len(args) == 1 {
			*arg = args[0]
		}
		if net != nil {
			net.Conn.CloudChanged = cmd.Flags().Changed("cloud")
		}
		return runF(opts)
	}
}

// withGateway connects to the gateway net names and runs fn with a
// context bounded by --timeout.
func withGateway(parent context.Context, f *cmdutil.Factory, net *cmdutil.NetworkFlags, fn func(context.Context, *cmdutil.NetworkSession) error) error {
	sess, err := f.Network(parent, net)
	if err != nil {
		return err
	}
	ctx, cancel := net.Conn.WithTimeout(parent)
	defer cancel()
	return fn(ctx, sess)
}

// readGateway reads sess's gateway; gateway is --gateway as given, for
// the hints.
func readGateway(ctx context.Context, sess *cmdutil.NetworkSession, gateway string) (*network.Gateway, error) {
	g, err := sess.Client.Gateway(ctx, sess.ResourceGroup, sess.Name)
	if err != nil {
		return nil, vpnError(fmt.Errorf("reading %s: %w", sess.Where, err), gateway)
	}
	return g, nil
}

// report prints the Result of a change to sess's gateway about the item
// with thumbprint tp (one line, or the JSON object), or words err:
// action names the change ("adding x.cer to VPN gateway rg/name"),
// gateway is --gateway as given, and fill, if not nil, adds to what is
// printed.
func report(io *cmdutil.IOStreams, f *cmdutil.Factory, sess *cmdutil.NetworkSession, gateway string, res *network.Result, err error, action, tp string, fill func(*changeResult)) error {
	if err != nil {
		return vpnError(fmt.Errorf("%s: %w", action, err), gateway)
	}
	c := changeOf(sess, res, tp)
	if fill != nil {
		fill(&c)
	}
	return printChange(io, f, sess, res, c)
}
