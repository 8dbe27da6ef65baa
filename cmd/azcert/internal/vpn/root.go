package vpn

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/network"
)

// nameRule is what a root or revoked certificate's name may be.
const nameRule = "1-80 letters, digits, _ . -, starting with a letter or digit and ending with a letter, digit or _"

// checkRemoveName refuses a name given to remove that no certificate of a
// gateway can have (Azure's naming rule), rather than report it "not
// present"; a file given where a name is wanted gets a hint, or, when its
// name is a valid one too, a warning that it is taken as a name.
func checkRemoveName(io *cmdutil.IOStreams, name, what string) error {
	if name == "" {
		return nil
	}
	st, serr := os.Stat(name)
	isFile := serr == nil && st.Mode().IsRegular()
	hint := fmt.Sprintf("to name it by its file, give --thumbprint $(azcert thumbprint %s)", name)
	if !network.ValidName(name) {
		err := cmdutil.UsageErrorf("%q is not the name of a %s certificate (%s)", name, what, nameRule)
		if isFile {
			return cmdutil.WithHint(err, "%s", hint)
		}
		return err
	}
	if isFile {
		io.Warnf("%s is taken as the name of a %s certificate, not as a file; %s", name, what, hint)
	}
	return nil
}

// RootAddOptions is what `azcert vpn root add` runs with.
type RootAddOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net        cmdutil.NetworkFlags
	File       string
	Name       string
	InPassword string
	AllowLeaf  bool
}

const rootAddLong = `Add a root certificate to the VPN gateway's point-to-site configuration. VPN
clients whose certificate it issued can then connect.

The file is a .cer (DER or PEM) or a .pfx (with --in-password); only the
certificate's public data is sent, never a key. It must be a certificate
authority (what 'azcert new --ca' makes): a client certificate given by
mistake is refused unless --allow-leaf, and so are a root that has expired
or whose key is not RSA of at least 2048 bits (as check --for vpn-root
fails them). The name defaults to the
certificate's common name made valid for Azure (1-80 letters, digits, _ . -).

A root already on the gateway, under any name, is not added again: azcert
says "already present" and exits 0. A gateway holds at most 20 roots; a 21st
is refused after the gateway is read and before anything is written (exit 5,
as Azure's own refusal). azcert waits for the gateway's update to end.`

// NewCmdRootAdd makes `azcert vpn root add`. runF, if not nil, replaces
// RootAddRun.
func NewCmdRootAdd(f *cmdutil.Factory, runF func(*RootAddOptions) error) *cobra.Command {
	opts := &RootAddOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "add <root.cer> --gateway <rg>/<name> [--name <name>]",
		Short:             "Upload a root certificate to a VPN gateway",
		Long:              rootAddLong,
		ValidArgsFunction: cmdutil.FileArgs("cer", "crt", "pem", "pfx", "p12"),
		Example: `  # The root made by 'azcert new --ca', under its common name
  azcert vpn root add p2s-root.cer --gateway rg-net/vpngw --subscription $SUB

  # Under a name of your choice, from the .pfx, the gateway given by resource id
  azcert vpn root add p2s-root.pfx --in-password env:ROOT_PW --name contoso-2026 \
    --gateway /subscriptions/$SUB/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw`,
		Args: oneRootFileArgs,
		RunE: runE(opts, &opts.Ctx, &opts.File, &opts.Net, runF, RootAddRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "the root's name on the gateway (default: its common name made valid)")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx: "+secret.InSyntax)
	fl.BoolVar(&opts.AllowLeaf, "allow-leaf", false, "upload a certificate that is not a certificate authority")
	return cmd
}

// rootResult is a root certificate as add, remove and list print it.
type rootResult struct {
	Name           string     `json:"name"`
	Thumbprint     string     `json:"thumbprint"`
	Subject        string     `json:"subject,omitempty"`
	NotAfter       *time.Time `json:"notAfter,omitempty"`
	DaysLeft       *int       `json:"daysLeft,omitempty"`
	PublicCertData string     `json:"publicCertData,omitempty"`
}

// rootOf is r as printed at now; data that is not a certificate has no
// subject and no dates.
func rootOf(r network.RootCertificate, now time.Time) rootResult {
	out := rootResult{Name: r.Name, Thumbprint: r.Thumbprint, PublicCertData: r.PublicCertData}
	if der, ok := network.DecodePublicCertData(r.PublicCertData); ok {
		if c, err := x509.ParseCertificate(der); err == nil {
			na := c.NotAfter.UTC()
			days := cmdutil.DaysLeft(c.NotAfter, now)
			out.Subject, out.NotAfter, out.DaysLeft = c.Subject.String(), &na, &days
		}
	}
	return out
}

// changeResult is the JSON of a change: the item, what happened, and the
// gateway afterwards.
type changeResult struct {
	Name              string     `json:"name"`
	Thumbprint        string     `json:"thumbprint,omitempty"`
	Subject           string     `json:"subject,omitempty"`
	NotAfter          *time.Time `json:"notAfter,omitempty"`
	Status            string     `json:"status"`
	Changed           bool       `json:"changed"`
	Gateway           string     `json:"gateway"`
	ProvisioningState string     `json:"provisioningState"`
	Roots             int        `json:"roots"`
	Revoked           int        `json:"revoked"`
	Conflicts         int        `json:"conflicts"`
}

// changeOf is the result of a change to sess's gateway, about the item
// with the thumbprint given.
func changeOf(sess *cmdutil.NetworkSession, res *network.Result, thumbprint string) changeResult {
	c := changeResult{Name: res.Name, Thumbprint: thumbprint, Status: res.Status, Changed: res.Changed,
		Gateway: gatewayName(sess), ProvisioningState: provisioning(res.Gateway), Conflicts: res.Conflicts}
	if res.Gateway != nil {
		c.Roots, c.Revoked = len(res.Gateway.Roots), len(res.Gateway.Revoked)
	}
	return c
}

// printChange prints a change: one line, or the JSON object.
func printChange(io *cmdutil.IOStreams, f *cmdutil.Factory, sess *cmdutil.NetworkSession, res *network.Result, c changeResult) error {
	if f.JSON() {
		return cmdutil.WriteJSON(io.Out, c)
	}
	var parts []string
	for _, p := range []string{c.Name, c.Thumbprint} {
		if p != "" {
			parts = append(parts, cmdutil.Printable(p))
		}
	}
	parts = append(parts, c.Status+" "+where(sess, res.Gateway))
	_, err := fmt.Fprintln(io.Out, strings.Join(parts, "  "))
	return err
}

// RootAddRun runs `azcert vpn root add`: the file is read and checked
// locally, then added unless the gateway holds it already.
func RootAddRun(opts *RootAddOptions) error {
	f := opts.Factory
	if opts.Name != "" && !network.ValidName(opts.Name) {
		return cmdutil.UsageErrorf("--name %q: %s", opts.Name, nameRule)
	}
	b, err := loadCert(f, opts.File, opts.InPassword, opts.Net.AccessToken)
	if err != nil {
		return err
	}
	if err := checkRoot(f, opts.File, b.Cert, opts.AllowLeaf); err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		name = network.DefaultRootName(b.Cert)
	}
	return withGateway(opts.Ctx, f, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		res, err := sess.Client.AddRoot(ctx, sess.ResourceGroup, sess.Name, name, b.Cert.Raw)
		return report(opts.IO, f, sess, opts.Net.Gateway, res, err, fmt.Sprintf("adding %s to %s", opts.File, sess.Where), thumb(b.Cert), func(c *changeResult) {
			na := b.Cert.NotAfter.UTC()
			c.Subject, c.NotAfter = b.Cert.Subject.String(), &na
		})
	})
}

// RootListOptions is what `azcert vpn root list` runs with.
type RootListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net cmdutil.NetworkFlags
}

// NewCmdRootList makes `azcert vpn root list`. runF, if not nil, replaces
// RootListRun.
func NewCmdRootList(f *cmdutil.Factory, runF func(*RootListOptions) error) *cobra.Command {
	opts := &RootListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list --gateway <rg>/<name>",
		Short: "List the root certificates of a VPN gateway",
		Long: `List the root certificates of the VPN gateway: name, thumbprint, subject and
expiry, read from each one's public certificate data. With -o json each also
has its publicCertData.`,
		Example: `  # A table: name, thumbprint, subject, expiry, days left
  azcert vpn root list --gateway rg-net/vpngw --subscription $SUB

  # The roots whose certificate expires within 90 days
  azcert vpn root list --gateway rg-net/vpngw -o json | jq -r '.[] | select(.daysLeft < 90) | .name'`,
		Args: cobra.NoArgs,
		RunE: runE(opts, &opts.Ctx, nil, &opts.Net, runF, RootListRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	return cmd
}

// RootListRun runs `azcert vpn root list`.
func RootListRun(opts *RootListOptions) error {
	return withGateway(opts.Ctx, opts.Factory, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		g, err := readGateway(ctx, sess, opts.Net.Gateway)
		if err != nil {
			return err
		}
		return printRoots(opts.IO, opts.Factory, sess, g)
	})
}

// printRoots prints g's roots: a table, or the JSON array.
func printRoots(io *cmdutil.IOStreams, f *cmdutil.Factory, sess *cmdutil.NetworkSession, g *network.Gateway) error {
	if !g.PointToSite {
		f.IO.Warnf("%s has no point-to-site configuration, so it takes no root certificates yet", sess.Where)
	}
	rows := []rootResult{}
	for _, r := range g.Roots {
		rows = append(rows, rootOf(r, f.Now()))
	}
	if f.JSON() {
		return cmdutil.WriteJSON(io.Out, rows)
	}
	if len(rows) == 0 {
		io.Notef("no root certificates on %s", sess.Where)
		return nil
	}
	w := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTHUMBPRINT\tSUBJECT\tEXPIRES\tDAYS")
	for _, r := range rows {
		expires, days := "-", "-"
		if r.NotAfter != nil {
			expires, days = r.NotAfter.Format(time.DateOnly), fmt.Sprint(*r.DaysLeft)
		}
		subject := r.Subject
		if subject == "" && r.NotAfter == nil {
			subject = "(not a certificate)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", cmdutil.Printable(r.Name), cmdutil.OrNone(r.Thumbprint), cmdutil.Printable(subject), expires, days)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	io.Notef("%d of %d root certificates on %s", len(rows), network.MaxRoots, sess.Where)
	return nil
}

// RootRemoveOptions is what `azcert vpn root remove` runs with.
type RootRemoveOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Net        cmdutil.NetworkFlags
	Name       string
	Thumbprint string
	Yes        bool
}

const rootRemoveLong = `Remove a root certificate from the VPN gateway, named by its name or by
--thumbprint. Every client certificate it issued stops working. On a
terminal azcert asks first; without one, --yes is required. A root that is
not there is reported and exits 0.`

// NewCmdRootRemove makes `azcert vpn root remove`. runF, if not nil,
// replaces RootRemoveRun.
func NewCmdRootRemove(f *cmdutil.Factory, runF func(*RootRemoveOptions) error) *cobra.Command {
	opts := &RootRemoveOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "remove {<name>|--thumbprint <thumbprint>} --gateway <rg>/<name> [--yes]",
		Short: "Remove a root certificate from a VPN gateway",
		Long:  rootRemoveLong,
		Example: `  # By its name on the gateway, without asking (in a script)
  azcert vpn root remove Contoso-P2S-Root --gateway rg-net/vpngw --yes

  # By the thumbprint of the root's file
  azcert vpn root remove --thumbprint $(azcert thumbprint old-root.cer) --gateway rg-net/vpngw --yes`,
		Args: nameOrThumbprintArgs("root certificate name", "the root's name"),
		RunE: runE(opts, &opts.Ctx, &opts.Name, &opts.Net, runF, RootRemoveRun),
	}
	cmdutil.AddNetworkFlags(cmd, &opts.Net, secret.InSyntax)
	cmd.Flags().StringVar(&opts.Thumbprint, "thumbprint", "", "the root's SHA-1 thumbprint instead of its name")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// RootRemoveRun runs `azcert vpn root remove`: it finds the root, asks on
// a terminal unless --yes, and removes it.
func RootRemoveRun(opts *RootRemoveOptions) error {
	f := opts.Factory
	if err := checkRemoveName(opts.IO, opts.Name, "root"); err != nil {
		return err
	}
	var tp string
	if opts.Thumbprint != "" {
		var err error
		if tp, err = network.NormalizeThumbprint(opts.Thumbprint); err != nil {
			return cmdutil.UsageErrorf("--thumbprint: %v", err)
		}
	}
	if !opts.Yes && !(opts.IO.InTTY && opts.IO.ErrTTY) {
		return cmdutil.UsageErrorf("removing a root needs confirmation: give --yes (there is no terminal to ask on)")
	}
	return withGateway(opts.Ctx, f, &opts.Net, func(ctx context.Context, sess *cmdutil.NetworkSession) error {
		g, err := readGateway(ctx, sess, opts.Net.Gateway)
		if err != nil {
			return err
		}
		var found *network.RootCertificate
		for i, r := range g.Roots {
			if (tp != "" && r.Thumbprint == tp) || (tp == "" && strings.EqualFold(r.Name, opts.Name)) {
				found = &g.Roots[i]
				break
			}
		}
		if found == nil {
			res := &network.Result{Gateway: g, Status: network.StatusNotPresent, Name: opts.Name}
			return printChange(opts.IO, f, sess, res, changeOf(sess, res, tp))
		}
		if !opts.Yes {
			if err := opts.IO.Confirm(fmt.Sprintf("Remove root certificate %s (%s) from %s? Client certificates it issued stop working.",
				found.Name, cmdutil.OrNone(found.Thumbprint), sess.Where), "not removed"); err != nil {
				return err
			}
		}
		res, err := sess.Client.RemoveRoot(ctx, sess.ResourceGroup, sess.Name, found.Name)
		return report(opts.IO, f, sess, opts.Net.Gateway, res, err, fmt.Sprintf("removing %s from %s", found.Name, sess.Where), found.Thumbprint, nil)
	})
}

// RootDataOptions is what `azcert vpn root data` runs with.
type RootDataOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	File       string
	InPassword string
	AllowLeaf  bool
}

const rootDataLong = `Print a root certificate's public certificate data: the base64 of its DER on
one line, without the PEM header and footer. It is what the portal's
point-to-site configuration asks for under "Public certificate data", and what
'vpn root add' sends. Offline: nothing is sent. With -o json: name (the
default name on a gateway), thumbprint, subject and publicCertData.`

// NewCmdRootData makes `azcert vpn root data`. runF, if not nil, replaces
// RootDataRun.
func NewCmdRootData(f *cmdutil.Factory, runF func(*RootDataOptions) error) *cobra.Command {
	opts := &RootDataOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "data <root.cer>",
		Short:             "Print a root's public certificate data, for the portal",
		Long:              rootDataLong,
		ValidArgsFunction: cmdutil.FileArgs("cer", "crt", "pem", "pfx", "p12"),
		Example: `  # Paste into the portal's "Public certificate data" box
  azcert vpn root data p2s-root.cer

  # Straight into the clipboard (macOS; xclip -selection clipboard on Linux)
  azcert vpn root data p2s-root.cer | pbcopy`,
		Args: oneRootFileArgs,
		RunE: runE(opts, &opts.Ctx, &opts.File, nil, runF, RootDataRun),
	}
	cmd.Flags().StringVar(&opts.InPassword, "in-password", "", "password source for a .pfx: "+secret.InSyntax)
	cmd.Flags().BoolVar(&opts.AllowLeaf, "allow-leaf", false, "print it for a certificate that is not a certificate authority")
	return cmd
}

// RootDataRun runs `azcert vpn root data`.
func RootDataRun(opts *RootDataOptions) error {
	f := opts.Factory
	b, err := loadCert(f, opts.File, opts.InPassword, "")
	if err != nil {
		return err
	}
	if err := checkRoot(f, opts.File, b.Cert, opts.AllowLeaf); err != nil {
		return err
	}
	data := network.PublicCertData(b.Cert.Raw)
	if f.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Name           string `json:"name"`
			Thumbprint     string `json:"thumbprint"`
			Subject        string `json:"subject"`
			PublicCertData string `json:"publicCertData"`
		}{network.DefaultRootName(b.Cert), thumb(b.Cert), b.Cert.Subject.String(), data})
	}
	_, err = fmt.Fprintln(opts.IO.Out, data)
	return err
}
