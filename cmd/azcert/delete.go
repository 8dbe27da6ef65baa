package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

type deleteOptions struct {
	mgmt       cmdutil.MgmtFlags
	target     string
	service    string
	inPassword string
	yes        bool
	noWait     bool
}

func newDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &deleteOptions{}
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
			opts.target = args[0]
			return runDelete(f, cmd, opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.mgmt, secret.InSyntax)
	cmd.Flags().StringVar(&opts.service, "service", "", "cloud service (hosted service) name")
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source when a .pfx names the certificate: "+secret.InSyntax)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.noWait, "no-wait", false, "do not wait for a service-certificate deletion to finish")
	return cmd
}

func runDelete(f *cmdutil.Factory, cmd *cobra.Command, opts *deleteOptions) error {
	if !opts.yes && !(f.IO.InTTY && f.IO.ErrTTY) {
		return cmdutil.UsageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	thumb, label, err := resolveTarget(f, opts)
	if err != nil {
		return err
	}
	sess, err := connectMgmt(cmd, f, &opts.mgmt)
	if err != nil {
		return err
	}
	where := "subscription " + sess.Subscription
	kind := "management certificate"
	if opts.service != "" {
		where, kind = "cloud service "+opts.service, "service certificate"
	}
	if !opts.yes {
		if thumb == sess.AuthThumb && opts.service == "" {
			f.IO.Warnf("%s is the certificate this call authenticates with; after deleting it, it can no longer manage the subscription", thumb)
		}
		fmt.Fprintf(f.IO.ErrOut, "Delete %s %s%s from %s? [y/N] ", kind, thumb, label, where)
		in, err := f.IO.Stdin("the confirmation")
		if err != nil {
			return err
		}
		answer, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return &cmdutil.UsageError{Err: fmt.Errorf("not deleted: the answer was not yes")}
		}
	}
	ctx, cancel := opts.mgmt.Conn.WithTimeout(cmd.Context())
	defer cancel()
	status := "deleted"
	if opts.service == "" {
		err = sess.Client.DeleteManagementCertificate(ctx, thumb)
	} else {
		var id string
		id, err = sess.Client.DeleteServiceCertificate(ctx, opts.service, thumb)
		if err == nil && id != "" && !opts.noWait {
			_, err = sess.Client.WaitOperation(ctx, id)
		} else if err == nil && opts.noWait {
			status = "deletion accepted"
		}
	}
	if err != nil {
		if mgmtclient.IsNotFound(err) && !isServiceMissing(err) {
			status = "not registered; nothing to delete"
		} else {
			return azureHint(fmt.Errorf("deleting %s: %w", thumb, err), sess)
		}
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, map[string]string{"thumbprint": thumb, "status": status, "from": where})
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s  %s (%s)\n", thumb, status, where)
	return err
}

// resolveTarget turns a thumbprint or a certificate file into a thumbprint.
func resolveTarget(f *cmdutil.Factory, opts *deleteOptions) (thumb, label string, err error) {
	p, perr := export.ParseThumbprint(opts.target)
	if perr == nil && len(p.Sum) == 20 {
		if p.Stripped {
			f.IO.Warnf("removed invisible characters from the thumbprint (as copied from the Windows certificate dialog)")
		}
		return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), "", nil
	}
	if b, err := input.LoadWith(f, opts.target, opts.inPassword, "in-password", "AZCERT_IN_PASSWORD"); err == nil {
		return mgmtclient.Thumbprint(b.Cert), " (" + b.Cert.Subject.String() + ")", nil
	} else if perr != nil && !looksLikeFile(opts.target) {
		return "", "", cmdutil.UsageErrorf("%q is neither a SHA-1 thumbprint (40 hex digits) nor a certificate file", opts.target)
	} else {
		return "", "", err
	}
}

func looksLikeFile(s string) bool {
	return strings.ContainsAny(s, "./\\") || s == "-"
}
