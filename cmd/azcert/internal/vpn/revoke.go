package vpn

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/network"
)

// RevokeAddOptions is what `azcert vpn revoke add` runs with.
type RevokeAddOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net        cmdutil.NetworkFlags
	File       string
	Thumbprint string
	Name       string
	InPassword string
}

const revokeAddLong = `Revoke a client certificate on the VPN gateway: the gateway refuses it from
then on, although a trusted root issued it. Name it by its file (.cer, or
.pfx with --in-password; only its thumbprint is sent) or by --thumbprint (any
form: upper or lower case, with colons or spaces). The name on the gateway
defaults to "revoked-" and the thumbprint's last eight digits.

A thumbprint revoked already is not added again: azcert says "already
present" and exits 0. azcert waits for the gateway's update to end.`

// NewCmdRevokeAdd makes `azcert vpn revoke add`. runF, if not nil,
// replaces RevokeAddRun.
func NewCmdRevokeAdd(f *cmdutil.Factory, runF func(*RevokeAddOptions) error) *cobra.Command {
	opts := &RevokeAddOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "add {<client.cer>|--thumbprint <thumbprint>} --gateway <rg>/<name> [--name <name>]",
		Short:             "Revoke a client certificate on a VPN gateway",
		Long:              revokeAddLong,
		ValidArgsFunction: cmdutil.FileArgs("cer", "crt", "pem", "pfx", "p12"),
		Example: `  # By the client's certificate file
  azcert vpn revoke add users/user-007.cer --gateway rg-net/vpngw --subscription $SUB

  # By thumbprint, under a name that says who it was
  azcert vpn revoke add --thumbprint 3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345 --name alice-laptop --gateway rg-net/vpngw`,
		Args: nameOrThumbprintArgs("client certificate file", "the client certificate's file"),
		RunE: runE(opts, &opts.Ctx, &opts.File, &opts.Net, runF, RevokeAddRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.Thumbprint, "thumbprint", "", "the client certificate's SHA-1 thumbprint instead of its file")
	fl.StringVar(&opts.Name, "name", "", "the revoked certificate's name on the gateway (default: revoked- and the thumbprint's last 8 digits)")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx: "+secret.InSyntax)
	return cmd
}

// RevokeAddRun runs `azcert vpn revoke add`.
func RevokeAddRun(opts *RevokeAddOptions) error {
	f := opts.Factory
	if opts.Name != "" && !network.ValidName(opts.Name) {
		return cmdutil.UsageErrorf("--name %q: %s", opts.Name, nameRule)
	}
	var tp, subject string
	if opts.File != "" {
		b, err := loadCert(f, opts.File, opts.InPassword, opts.Net.AccessToken)
		if err != nil {
			return err
		}
		if b.Cert.BasicConstraintsValid && b.Cert.IsCA {
			return cmdutil.WithHint(cmdutil.InputErrorf("%s (%s) is a certificate authority, not a client certificate", opts.File, cmdutil.Printable(b.Cert.Subject.String())),
				"to stop trusting a root, remove it: azcert vpn root remove <name> --gateway %s", opts.Net.Gateway)
		}
		tp, subject = thumb(b.Cert), b.Cert.Subject.String()
	} else {
		var err error
		if tp, err = network.NormalizeThumbprint(opts.Thumbprint); err != nil {
			return cmdutil.UsageErrorf("--thumbprint: %v", err)
		}
	}
	return withGateway(opts.Ctx, f, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		res, err := sess.Client.AddRevoked(ctx, sess.ResourceGroup, sess.Name, opts.Name, tp)
		return report(opts.IO, f, sess, opts.Net.Gateway, res, err, fmt.Sprintf("revoking %s on %s", tp, sess.Where), tp, func(c *changeResult) { c.Subject = subject })
	})
}

// RevokeListOptions is what `azcert vpn revoke list` runs with.
type RevokeListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net cmdutil.NetworkFlags
}

// NewCmdRevokeList makes `azcert vpn revoke list`. runF, if not nil,
// replaces RevokeListRun.
func NewCmdRevokeList(f *cmdutil.Factory, runF func(*RevokeListOptions) error) *cobra.Command {
	opts := &RevokeListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list --gateway <rg>/<name>",
		Short: "List the revoked client certificates of a VPN gateway",
		Example: `  # A table: name and thumbprint
  azcert vpn revoke list --gateway rg-net/vpngw --subscription $SUB

  # Just the thumbprints
  azcert vpn revoke list --gateway rg-net/vpngw -o json | jq -r '.[].thumbprint'`,
		Args: cobra.NoArgs,
		RunE: runE(opts, &opts.Ctx, nil, &opts.Net, runF, RevokeListRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	return cmd
}

// revokedResult is a revoked certificate as list prints it.
type revokedResult struct {
	Name       string `json:"name"`
	Thumbprint string `json:"thumbprint"`
}

// RevokeListRun runs `azcert vpn revoke list`.
func RevokeListRun(opts *RevokeListOptions) error {
	return withGateway(opts.Ctx, opts.Factory, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		revoked, err := sess.Client.Revoked(ctx, sess.ResourceGroup, sess.Name)
		if err != nil {
			return vpnError(fmt.Errorf("reading %s: %w", sess.Where, err), opts.Net.Gateway)
		}
		return printRevoked(opts.IO, opts.Factory, sess, revoked)
	})
}

// printRevoked prints the revoked certificates: a table, or the JSON array.
func printRevoked(io *cmdutil.IOStreams, f *cmdutil.Factory, sess *cmdutil.NetworkSession, revoked []network.RevokedCertificate) error {
	rows := []revokedResult{}
	for _, r := range revoked {
		rows = append(rows, revokedResult{Name: r.Name, Thumbprint: r.Thumbprint})
	}
	if f.JSON() {
		return cmdutil.WriteJSON(io.Out, rows)
	}
	if len(rows) == 0 {
		io.Notef("no revoked certificates on %s", sess.Where)
		return nil
	}
	w := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTHUMBPRINT")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", cmdutil.Printable(r.Name), cmdutil.Printable(r.Thumbprint))
	}
	return w.Flush()
}

// RevokeRemoveOptions is what `azcert vpn revoke remove` runs with.
type RevokeRemoveOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net        cmdutil.NetworkFlags
	Name       string
	Thumbprint string
}

// NewCmdRevokeRemove makes `azcert vpn revoke remove`. runF, if not nil,
// replaces RevokeRemoveRun.
func NewCmdRevokeRemove(f *cmdutil.Factory, runF func(*RevokeRemoveOptions) error) *cobra.Command {
	opts := &RevokeRemoveOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "remove {<name>|--thumbprint <thumbprint>} --gateway <rg>/<name>",
		Short: "Take a client certificate off a VPN gateway's revoked list",
		Long: `Take a client certificate off the VPN gateway's list of revoked certificates,
named by its name there or by --thumbprint: the gateway accepts it again. One
that is not on the list is reported and exits 0.`,
		Example: `  # By thumbprint: the certificate gets in again
  azcert vpn revoke remove --thumbprint 3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345 --gateway rg-net/vpngw

  # By the name it was revoked under
  azcert vpn revoke remove alice-laptop --gateway rg-net/vpngw`,
		Args: nameOrThumbprintArgs("revoked certificate name", "the revoked certificate's name"),
		RunE: runE(opts, &opts.Ctx, &opts.Name, &opts.Net, runF, RevokeRemoveRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	cmd.Flags().StringVar(&opts.Thumbprint, "thumbprint", "", "the certificate's SHA-1 thumbprint instead of its name")
	return cmd
}

// RevokeRemoveRun runs `azcert vpn revoke remove`.
func RevokeRemoveRun(opts *RevokeRemoveOptions) error {
	f := opts.Factory
	if err := checkRemoveName(opts.IO, opts.Name, "revoked"); err != nil {
		return err
	}
	target := opts.Name
	if opts.Thumbprint != "" {
		tp, err := network.NormalizeThumbprint(opts.Thumbprint)
		if err != nil {
			return cmdutil.UsageErrorf("--thumbprint: %v", err)
		}
		target = tp
	}
	return withGateway(opts.Ctx, f, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		tp := ""
		if opts.Thumbprint != "" {
			tp = target
		} else {
			// The thumbprint the name stands for, for the output.
			g, err := readGateway(ctx, sess, opts.Net.Gateway)
			if err != nil {
				return err
			}
			for _, r := range g.Revoked {
				if strings.EqualFold(r.Name, target) {
					tp = r.Thumbprint
				}
			}
		}
		res, err := sess.Client.RemoveRevoked(ctx, sess.ResourceGroup, sess.Name, target)
		if err == nil && res.Status == network.StatusNotPresent && opts.Thumbprint != "" {
			res.Name = ""
		}
		return report(opts.IO, f, sess, opts.Net.Gateway, res, err, fmt.Sprintf("removing %s from the revoked certificates of %s", target, sess.Where), tp, nil)
	})
}
