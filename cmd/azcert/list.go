package main

import (
	"crypto/x509"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

type listOptions struct {
	mgmt    cmdutil.MgmtFlags
	service string
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list --subscription <id> [--service <name>]",
		Short: "List registered management or service certificates",
		Long: `List the management certificates of a subscription, or with --service the
certificates of a cloud service: thumbprint, subject and expiry (and when a
management certificate was registered). Certificates the portal generated
come back as PKCS#12 blobs; they are read too.`,
		Example: `  azcert list --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW
  azcert list --service contoso-web --publish-settings my.publishsettings -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(f, cmd, opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.mgmt, secret.InSyntax)
	cmd.Flags().StringVar(&opts.service, "service", "", "cloud service (hosted service) name")
	return cmd
}

type listEntry struct {
	Thumbprint string     `json:"thumbprint"`
	Subject    string     `json:"subject,omitempty"`
	NotAfter   *time.Time `json:"notAfter,omitempty"`
	Created    *time.Time `json:"created,omitempty"`
	URL        string     `json:"url,omitempty"`
	Auth       bool       `json:"usedForThisCall,omitempty"`
}

func runList(f *cmdutil.Factory, cmd *cobra.Command, opts *listOptions) error {
	sess, err := connectMgmt(cmd, f, &opts.mgmt)
	if err != nil {
		return err
	}
	ctx, cancel := opts.mgmt.Conn.WithTimeout(cmd.Context())
	defer cancel()
	entries := []listEntry{}
	if opts.service == "" {
		certs, err := sess.Client.ListManagementCertificates(ctx)
		if err != nil {
			return azureHint(fmt.Errorf("listing management certificates: %w", err), sess)
		}
		for _, c := range certs {
			e := listEntry{Thumbprint: c.Thumbprint, Auth: c.Thumbprint == sess.AuthThumb}
			if !c.Created.IsZero() {
				t := c.Created.UTC()
				e.Created = &t
			}
			fillCert(&e, c.Cert)
			entries = append(entries, e)
		}
	} else {
		certs, err := sess.Client.ListServiceCertificates(ctx, opts.service)
		if err != nil {
			return azureHint(fmt.Errorf("listing the certificates of %s: %w", opts.service, err), sess)
		}
		for _, c := range certs {
			e := listEntry{Thumbprint: c.Thumbprint, URL: c.URL}
			fillCert(&e, c.Cert)
			entries = append(entries, e)
		}
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, entries)
	}
	if len(entries) == 0 {
		f.IO.Notef("no certificates")
		return nil
	}
	w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	if opts.service == "" {
		fmt.Fprintln(w, "THUMBPRINT\tREGISTERED\tEXPIRES\tSUBJECT")
	} else {
		fmt.Fprintln(w, "THUMBPRINT\tEXPIRES\tSUBJECT")
	}
	for _, e := range entries {
		exp, subj := "-", cmdutil.Printable(e.Subject)
		if e.NotAfter != nil {
			exp = e.NotAfter.Format(time.DateOnly)
		}
		if subj == "" {
			subj = "(unreadable certificate data)"
		}
		if e.Auth {
			subj += " (used for this call)"
		}
		if opts.service == "" {
			created := "-"
			if e.Created != nil {
				created = e.Created.Format(time.DateOnly)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cmdutil.Printable(e.Thumbprint), created, exp, subj)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\n", cmdutil.Printable(e.Thumbprint), exp, subj)
		}
	}
	return w.Flush()
}

func fillCert(e *listEntry, c *x509.Certificate) {
	if c == nil {
		return
	}
	e.Subject = c.Subject.String()
	t := c.NotAfter.UTC()
	e.NotAfter = &t
}
