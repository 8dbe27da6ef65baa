package asm

import (
	"context"
	"crypto/x509"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
)

// ListOptions is what `azcert list` runs with.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Mgmt    cmdutil.MgmtFlags // Mgmt.Conn.CloudChanged: --cloud was given
	Service string
}

// NewCmdList makes `azcert list`. runF, if not nil, replaces ListRun
// (tests check the options with it).
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Factory: f}
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
			opts.Ctx = cmd.Context()
			opts.Mgmt.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.Mgmt, secret.InSyntax)
	// Given empty, --service would silently mean the subscription's
	// management certificates.
	cmd.Flags().Var(cmdutil.NonEmpty(&opts.Service, "empty; give the cloud service's name, or leave the flag out for management certificates"), "service", "cloud service (hosted service) name")
	return cmd
}

// ListEntry is one listed certificate, as -o json prints it.
type ListEntry struct {
	Thumbprint string     `json:"thumbprint"`
	Subject    string     `json:"subject,omitempty"`
	NotAfter   *time.Time `json:"notAfter,omitempty"`
	Created    *time.Time `json:"created,omitempty"`
	URL        string     `json:"url,omitempty"`
	Auth       bool       `json:"usedForThisCall,omitempty"`
}

// ListRun runs `azcert list`.
func ListRun(opts *ListOptions) error {
	sess, err := opts.Factory.ServiceManagement(opts.Ctx, &opts.Mgmt)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Mgmt.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	entries, err := listEntries(ctx, sess, opts.Service)
	if err != nil {
		return err
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, entries)
	}
	if len(entries) == 0 {
		opts.IO.Notef("no certificates")
		return nil
	}
	return printList(opts, entries)
}

// listEntries lists the management certificates of the session's
// subscription, or with service the certificates of that cloud service.
func listEntries(ctx context.Context, sess *cmdutil.MgmtSession, service string) ([]ListEntry, error) {
	entries := []ListEntry{}
	if service == "" {
		certs, err := sess.Client.ListManagementCertificates(ctx)
		if err != nil {
			return nil, AzureHint(fmt.Errorf("listing management certificates: %w", err), sess)
		}
		for _, c := range certs {
			e := ListEntry{Thumbprint: c.Thumbprint, Auth: c.Thumbprint == sess.AuthThumb}
			if !c.Created.IsZero() {
				t := c.Created.UTC()
				e.Created = &t
			}
			fillCert(&e, c.Cert)
			entries = append(entries, e)
		}
		return entries, nil
	}
	certs, err := sess.Client.ListServiceCertificates(ctx, service)
	if err != nil {
		return nil, AzureHint(fmt.Errorf("listing the certificates of %s: %w", service, err), sess)
	}
	for _, c := range certs {
		e := ListEntry{Thumbprint: c.Thumbprint, URL: c.URL}
		fillCert(&e, c.Cert)
		entries = append(entries, e)
	}
	return entries, nil
}

// printList prints the entries as a table.
func printList(opts *ListOptions, entries []ListEntry) error {
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	if opts.Service == "" {
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
		if opts.Service == "" {
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

func fillCert(e *ListEntry, c *x509.Certificate) {
	if c == nil {
		return
	}
	e.Subject = c.Subject.String()
	t := c.NotAfter.UTC()
	e.NotAfter = &t
}
