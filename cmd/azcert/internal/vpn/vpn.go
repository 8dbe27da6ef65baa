// Package vpn holds `azcert vpn`: the point-to-site certificates of an
// Azure VPN gateway, through Azure Resource Manager. `vpn root` adds, lists
// and removes the root certificates the gateway trusts (and prints a root's
// public certificate data, offline); `vpn revoke` adds, lists and removes
// the client certificates it refuses. The work is pkg/network's; these
// commands read files, ask for confirmation and print.
package vpn

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/network"
)

const groupLong = `Manage the certificates of an Azure VPN gateway's point-to-site
configuration, through Azure Resource Manager: the root certificates it trusts
(a VPN client gets in with a client certificate issued by one of them) and the
client certificates it refuses (revoked, by thumbprint).

Both lists are properties of the gateway, so each change reads the whole
gateway, changes the one list and writes it back with If-Match: a concurrent
change (the portal, another pipeline) is never overwritten; azcert reads again
and retries. The gateway then updates for a while (minutes on Azure); azcert
waits for the end, within --timeout (default 30m).

The gateway is --gateway RESOURCE-GROUP/NAME with --subscription (or
AZCERT_SUBSCRIPTION), or --gateway with its full resource id. Authentication:
--access-token SRC, AZCERT_ACCESS_TOKEN, or else the Azure credential chain
(environment variables, workload identity, managed identity, 'az login',
'azd auth login'). Changes need a role such as Network Contributor on the
gateway. 'azcert emulator --vpn-gateway RG/NAME' serves gateways for trying it
offline.`

// NewCmdGroup makes `azcert vpn`, the parent of root and revoke.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vpn <command>",
		Short: "VPN gateway point-to-site certificates: trusted roots and revoked clients",
		Long:  groupLong,
		Args:  cobra.NoArgs,
		Example: `  # Upload the root the client certificates come from
  azcert vpn root add p2s-root.cer --gateway rg-net/vpngw --subscription $SUB

  # Shut out one client certificate
  azcert vpn revoke add users/user-007.cer --gateway rg-net/vpngw --subscription $SUB`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert vpn root or azcert vpn revoke")
		},
	}
	cmd.AddCommand(newCmdRoot(f), newCmdRevoke(f))
	return cmd
}

func newCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "root <command>",
		Short: "The root certificates a VPN gateway trusts for point-to-site clients",
		Long: `The root certificates a VPN gateway trusts: a client certificate issued by one
of them gets in. A gateway holds at most 20. 'azcert new --ca' makes one.`,
		Args: cobra.NoArgs,
		Example: `  # Upload a root made by 'azcert new --ca'
  azcert vpn root add p2s-root.cer --gateway rg-net/vpngw

  # The roots the gateway trusts, with their expiry
  azcert vpn root list --gateway rg-net/vpngw

  # The text the portal's "Public certificate data" box wants
  azcert vpn root data p2s-root.cer`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert vpn root add, list, remove or data")
		},
	}
	cmd.AddCommand(NewCmdRootAdd(f, nil), NewCmdRootList(f, nil), NewCmdRootRemove(f, nil), NewCmdRootData(f, nil))
	return cmd
}

func newCmdRevoke(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke <command>",
		Short: "The client certificates a VPN gateway refuses",
		Long: `The client certificates a VPN gateway refuses although a trusted root issued
them, named by their SHA-1 thumbprint.`,
		Args: cobra.NoArgs,
		Example: `  # Shut out one client certificate
  azcert vpn revoke add users/user-007.cer --gateway rg-net/vpngw

  # The certificates the gateway refuses
  azcert vpn revoke list --gateway rg-net/vpngw`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert vpn revoke add, list or remove")
		},
	}
	cmd.AddCommand(NewCmdRevokeAdd(f, nil), NewCmdRevokeList(f, nil), NewCmdRevokeRemove(f, nil))
	return cmd
}

// vpnError words the errors users can act on with a hint: no token, a
// token or role refused, a gateway that is not there, one without
// point-to-site, the root limit, a name taken, and others changing the
// gateway all along. gateway is --gateway as given.
func vpnError(err error, gateway string) error {
	if errors.As(err, new(*network.CredentialError)) {
		return connect.CredentialFailure(err)
	}
	var (
		limit    *network.LimitError
		inUse    *network.NameInUseError
		conflict *network.ConflictError
		op       *network.OperationError
		timeout  *network.TimeoutError
		e        *network.Error
	)
	switch {
	case errors.Is(err, network.ErrNoPointToSite):
		return cmdutil.WithHint(err, "configure point-to-site on the gateway first: an address pool, a tunnel type (IKEv2 and/or OpenVPN) and Azure certificate authentication (portal: the gateway's Point-to-site configuration)")
	case errors.As(err, &limit):
		return cmdutil.WithHint(err, "see them with 'azcert vpn root list --gateway %s' and remove one with 'azcert vpn root remove <name> --gateway %s'", gateway, gateway)
	case errors.As(err, &inUse):
		return cmdutil.WithHint(err, "give another --name")
	case errors.As(err, &conflict):
		return cmdutil.WithHint(err, "someone else kept changing the gateway meanwhile (the portal, another pipeline): run the command again; it changes only what is not there yet")
	case errors.As(err, &timeout) && timeout.Sent:
		return cmdutil.WithHint(err, "the gateway may yet apply it: run the command again once the gateway's update has ended (it changes only what is not there yet), or give a longer --timeout")
	case errors.As(err, &timeout):
		return cmdutil.WithHint(err, "run the command again once the gateway's update has ended, or give a longer --timeout")
	case errors.As(err, &op):
		return cmdutil.WithHint(err, "the gateway's Activity log in the portal says more; run the command again once the gateway is Succeeded")
	case errors.As(err, &e):
		switch {
		case e.StatusCode == http.StatusUnauthorized:
			return cmdutil.WithHint(err, "the access token was refused: get a fresh one (az account get-access-token) or check --access-token (or AZCERT_ACCESS_TOKEN, which holds the token itself)")
		case e.StatusCode == http.StatusForbidden:
			return cmdutil.WithHint(err, "the identity needs a role such as Network Contributor on the gateway (Microsoft.Network/virtualNetworkGateways/read and write)")
		case e.StatusCode == http.StatusNotFound:
			return cmdutil.WithHint(err, "check --gateway (RESOURCE-GROUP/NAME) and --subscription; 'az network vnet-gateway list -g <resource-group> --query [].id' lists the gateways")
		}
	}
	return err
}

// loadCert reads a certificate file (.cer DER or PEM, .pem, or .pfx with
// --in-password); only its certificate is used. A file of several
// certificates without a key is refused: nothing says which one is meant
// (a .pfx's key names its certificate), and taking the first would upload
// or revoke another than the user thinks.
func loadCert(f *cmdutil.Factory, file, inPassword string, token string) (*export.Bundle, error) {
	if err := input.CheckStdin([]string{file}, input.PasswordFlag{Name: "in-password", Spec: inPassword}, input.PasswordFlag{Name: "access-token", Spec: token}); err != nil {
		return nil, err
	}
	l, err := input.LoadFile(f, file, secret.Request{Flag: "in-password", Spec: inPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return nil, err
	}
	if b := l.Bundle; b.Key == nil && len(b.Chain) > 0 {
		return nil, cmdutil.WithHint(cmdutil.InputErrorf("%s holds %d certificates and no key, so which one is meant is not clear", input.Name(file), 1+len(b.Chain)),
			"give a file with just the one certificate (its .cer), or its .pfx with the key")
	}
	return l.Bundle, nil
}

// checkRoot refuses what cannot be a point-to-site root, as check --for
// vpn-root fails it: a certificate that is not a certificate authority (a
// client certificate given by mistake) unless allowLeaf, a key that is not
// RSA of at least 2048 bits, or one that has expired (the gateway would
// refuse every client certificate that chains to it). One not valid yet
// is only warned about: it may be put in place ahead of its time.
func checkRoot(f *cmdutil.Factory, name string, cert *x509.Certificate, allowLeaf bool) error {
	switch typ, bits := export.KeyInfo(cert); {
	case typ != "RSA":
		return cmdutil.WithHint(cmdutil.InputErrorf("%s: the key is %s; VPN gateways take RSA root certificates", name, typ),
			"make an RSA root with 'azcert new --ca NAME' (see azcert check --for vpn-root)")
	case bits < 2048:
		return cmdutil.InputErrorf("%s: the key is RSA %d, too weak for a root that vouches for every client; use at least 2048 bits (azcert new --ca makes 2048 by default)", name, bits)
	}
	if !(cert.BasicConstraintsValid && cert.IsCA) && !allowLeaf {
		return cmdutil.WithHint(cmdutil.InputErrorf("%s (%s) is not a certificate authority, so the gateway could not verify client certificates with it", name, cmdutil.Printable(cert.Subject.String())),
			"give the root that issued the client certificates (make one with 'azcert new --ca NAME'), or --allow-leaf to upload this one anyway")
	}
	now := f.Now()
	if now.After(cert.NotAfter) {
		return cmdutil.WithHint(cmdutil.InputErrorf("%s expired on %s: the gateway would refuse every client certificate that chains to it", name, cert.NotAfter.UTC().Format(time.DateOnly)),
			"make a new root with 'azcert new --ca NAME' and issue the client certificates again; remove the old one with 'azcert vpn root remove'")
	}
	if now.Before(cert.NotBefore) {
		f.IO.Warnf("%s is not valid until %s: until then the gateway refuses client certificates that chain to it", name, cert.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// thumb is a certificate's SHA-1 thumbprint as Azure writes it.
func thumb(cert *x509.Certificate) string {
	return export.FormatThumbprint(export.Thumbprint(cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
}

// where is the gateway part of a text line: "(VPN gateway rg/name,
// provisioningState Succeeded)".
func where(sess *cmdutil.NetworkSession, g *network.Gateway) string {
	if g == nil || g.ProvisioningState == "" {
		return "(" + sess.Where + ")"
	}
	return fmt.Sprintf("(%s, provisioningState %s)", sess.Where, cmdutil.Printable(g.ProvisioningState))
}

// gatewayName is rg/name, as JSON output names the gateway.
func gatewayName(sess *cmdutil.NetworkSession) string { return sess.ResourceGroup + "/" + sess.Name }

// provisioning is the gateway's provisioningState, "" without a gateway.
func provisioning(g *network.Gateway) string {
	if g == nil {
		return ""
	}
	return g.ProvisioningState
}
