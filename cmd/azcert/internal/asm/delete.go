package asm

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// DeleteOptions is what `azcert delete` runs with.
type DeleteOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Mgmt       cmdutil.MgmtFlags // Mgmt.Conn.CloudChanged: --cloud was given
	Target     string            // a thumbprint or a certificate file
	Service    string
	InPassword string
	Yes        bool
	NoWait     bool
}

// NewCmdDelete makes `azcert delete`. runF, if not nil, replaces DeleteRun
// (tests check the options with it).
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "delete {<thumbprint>|<file>} --subscription <id> [--service <name>]",
		Short:             "Remove a management or service certificate",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long: `Remove one management certificate from the subscription, or with --service one
certificate from a cloud service. The certificate is named by its thumbprint
(any format azcert prints) or by a certificate file.

On a terminal azcert asks for confirmation; without one, --yes is required.
Deleting a certificate that is not registered says so and exits 0, so a
cleanup script can be rerun.`,
		Example: `  azcert delete 3B4E0C1F... --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW
  azcert delete old.cer --service contoso-web --publish-settings my.publishsettings --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give one thumbprint or certificate file to delete (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Target = args[0]
			opts.Mgmt.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return DeleteRun(opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.Mgmt, secret.InSyntax)
	// Given empty, --service would silently mean the subscription's
	// management certificates.
	cmd.Flags().Var(cmdutil.NonEmpty(&opts.Service, "empty; give the cloud service's name, or leave the flag out for management certificates"), "service", "cloud service (hosted service) name")
	cmd.Flags().StringVar(&opts.InPassword, "in-password", "", "password source when a .pfx names the certificate: "+secret.InSyntax)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "do not wait for a service-certificate deletion to finish")
	return cmd
}

// DeleteRun runs `azcert delete`: it names the certificate, connects, asks
// for confirmation unless --yes, and deletes.
func DeleteRun(opts *DeleteOptions) error {
	if !opts.Yes && !(opts.IO.InTTY && opts.IO.ErrTTY) {
		return cmdutil.UsageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	thumb, label, err := resolveTarget(opts)
	if err != nil {
		return err
	}
	sess, err := opts.Factory.ServiceManagement(opts.Ctx, &opts.Mgmt)
	if err != nil {
		return err
	}
	where := "subscription " + sess.Subscription
	kind := "management certificate"
	if opts.Service != "" {
		where, kind = "cloud service "+opts.Service, "service certificate"
	}
	if !opts.Yes {
		if err := confirmDelete(opts, sess, kind, thumb, label, where); err != nil {
			return err
		}
	}
	status, err := deleteCert(opts, sess, thumb)
	if err != nil {
		return err
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, map[string]string{"thumbprint": thumb, "status": status, "from": where})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s  %s (%s)\n", thumb, status, where)
	return err
}

// confirmDelete asks on the terminal; anything but yes is a usage error.
func confirmDelete(opts *DeleteOptions, sess *cmdutil.MgmtSession, kind, thumb, label, where string) error {
	if thumb == sess.AuthThumb && opts.Service == "" {
		opts.IO.Warnf("%s is the certificate this call authenticates with; after deleting it, it can no longer manage the subscription", thumb)
	}
	return opts.IO.Confirm(fmt.Sprintf("Delete %s %s%s from %s?", kind, thumb, label, where), "not deleted")
}

// deleteCert deletes the certificate and returns the status to print; a
// certificate that is not there is not an error.
func deleteCert(opts *DeleteOptions, sess *cmdutil.MgmtSession, thumb string) (status string, err error) {
	ctx, cancel := opts.Mgmt.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	status = "deleted"
	if opts.Service == "" {
		err = sess.Client.DeleteManagementCertificate(ctx, thumb)
	} else {
		var id string
		id, err = sess.Client.DeleteServiceCertificate(ctx, opts.Service, thumb)
		if err == nil && id != "" && !opts.NoWait {
			_, err = sess.Client.WaitOperation(ctx, id)
		} else if err == nil && opts.NoWait {
			status = "deletion accepted"
		}
	}
	if err != nil {
		if mgmtclient.IsNotFound(err) && !IsServiceMissing(err) {
			return "not registered; nothing to delete", nil
		}
		return "", AzureHint(fmt.Errorf("deleting %s: %w", thumb, err), sess)
	}
	return status, nil
}

// resolveTarget turns a thumbprint or a certificate file into a thumbprint.
func resolveTarget(opts *DeleteOptions) (thumb, label string, err error) {
	f := opts.Factory
	p, perr := export.ParseThumbprint(opts.Target)
	if perr == nil && len(p.Sum) == 20 {
		if p.Stripped {
			opts.IO.Warnf("removed invisible characters from the thumbprint (as copied from the Windows certificate dialog)")
		}
		return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), "", nil
	}
	if b, err := input.LoadWith(f, opts.Target, opts.InPassword, "in-password", "AZCERT_IN_PASSWORD"); err == nil {
		return mgmtclient.Thumbprint(b.Cert), " (" + b.Cert.Subject.String() + ")", nil
	} else if perr != nil && !looksLikeFile(opts.Target) {
		return "", "", cmdutil.UsageErrorf("%q is neither a SHA-1 thumbprint (40 hex digits) nor a certificate file", opts.Target)
	} else {
		return "", "", err
	}
}

func looksLikeFile(s string) bool {
	return strings.ContainsAny(s, "./\\") || s == "-"
}
