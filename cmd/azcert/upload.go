package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

type uploadOptions struct {
	mgmt       mgmtOptions
	files      []string
	service    string
	inPassword string
	noWait     bool
}

func newUploadCmd(f *factory) *cobra.Command {
	opts := &uploadOptions{}
	cmd := &cobra.Command{
		Use:               "upload <file>... --subscription <id> [--service <name>]",
		Short:             "Register management certificates, or upload service certificates",
		ValidArgsFunction: fileArgs(certExts...),
		Long: `Without --service, register the public certificate of each file (.cer, .pem or
.pfx) as a management certificate of the subscription (Add Management
Certificate). Only the public certificate is ever sent.

With --service NAME, upload each file to that cloud service (Add Service
Certificate): a .pfx is sent whole with its password (--in-password), a .cer
or PEM certificate as "cer". The upload is asynchronous; azcert waits for the
operation to finish unless --no-wait.

A certificate that is already registered counts as success, so a script can
be rerun. Before anything is sent each file is checked: RSA with at least
2048 bits, not expired, and a .pfx for a service certificate; a file that
fails is exit 3 and nothing is uploaded.

The calls are authenticated with a registered management certificate:
--auth-cert FILE (with --auth-password) or --publish-settings FILE.`,
		Example: `  # Register a management certificate (authenticating with another one)
  azcert upload mgmt2.cer --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW

  # Upload an SSL certificate to a cloud service and wait for it
  azcert upload contoso.net.pfx --service contoso-web --in-password env:PFX_PW --publish-settings my.publishsettings

  # Against the local emulator (see azcert emulator --help)
  azcert upload site.cer --endpoint https://127.0.0.1:8443 --ca-file emulator-ca.pem --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give at least one certificate file to upload")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			return runUpload(f, cmd, opts)
		},
	}
	addMgmtFlags(cmd, &opts.mgmt)
	cmd.Flags().StringVar(&opts.service, "service", "", "cloud service (hosted service) name; without it, management certificates are registered")
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source for the .pfx files: "+inPasswordSyntax)
	cmd.Flags().BoolVar(&opts.noWait, "no-wait", false, "do not wait for service-certificate operations to finish")
	return cmd
}

type uploadResult struct {
	File       string `json:"file"`
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	RequestID  string `json:"requestId,omitempty"`
}

func runUpload(f *factory, cmd *cobra.Command, opts *uploadOptions) error {
	if opts.noWait && opts.service == "" {
		return usageErrorf("--no-wait applies only to --service uploads")
	}
	if err := checkStdin(opts.files, map[string]string{"in-password": opts.inPassword, "auth-password": opts.mgmt.authPassword}); err != nil {
		return err
	}
	sess, err := f.connect(cmd, &opts.mgmt)
	if err != nil {
		return err
	}
	// Read and check every file before sending anything.
	type item struct {
		name   string
		loaded *loaded
	}
	var items []item
	for _, name := range opts.files {
		l, err := f.loadFile(name, passwordRequest{flag: "in-password", spec: opts.inPassword, envVar: "AZCERT_IN_PASSWORD"})
		if err != nil {
			return err
		}
		needKey := opts.service != "" && l.bundle.Format == export.FormatPKCS12
		if err := checkUploadable(name, l.bundle, f.Now(), needKey); err != nil {
			return err
		}
		items = append(items, item{name, l})
	}

	ctx, cancel := withTimeout(cmd, &opts.mgmt)
	defer cancel()
	var results []uploadResult
	for _, it := range items {
		b := it.loaded.bundle
		r := uploadResult{File: it.name, Thumbprint: mgmtclient.Thumbprint(b.Cert), Subject: b.Cert.Subject.String()}
		if opts.service == "" {
			already, err := sess.client.RegisterManagementCertificate(ctx, b.Cert)
			if err != nil {
				return azureHint(fmt.Errorf("registering %s: %w", it.name, err), sess)
			}
			r.Status = "registered"
			if already {
				r.Status = "already registered"
			}
		} else {
			if _, err := sess.client.GetServiceCertificate(ctx, opts.service, r.Thumbprint); err == nil {
				r.Status = "already on the service"
			} else if !mgmtclient.IsNotFound(err) || isServiceMissing(err) {
				return azureHint(fmt.Errorf("checking %s on %s: %w", it.name, opts.service, err), sess)
			} else {
				data, format, password := it.loaded.data, "pfx", it.loaded.password
				if b.Format != export.FormatPKCS12 {
					data, format, password = b.Cert.Raw, "cer", ""
				}
				id, err := sess.client.AddServiceCertificate(ctx, opts.service, data, format, password)
				if err != nil {
					return azureHint(fmt.Errorf("uploading %s to %s: %w", it.name, opts.service, err), sess)
				}
				r.RequestID = id
				r.Status = "accepted"
				if !opts.noWait {
					f.IO.notef("uploading %s to %s (operation %s)...", it.name, opts.service, id)
					if _, err := sess.client.WaitOperation(ctx, id); err != nil {
						return azureHint(fmt.Errorf("uploading %s to %s: %w", it.name, opts.service, err), sess)
					}
					r.Status = "uploaded"
				}
			}
		}
		results = append(results, r)
		if !f.json() {
			where := "subscription " + sess.subscription
			if opts.service != "" {
				where = "cloud service " + opts.service
			}
			fmt.Fprintf(f.IO.Out, "%s  %s  %s (%s)\n", r.Thumbprint, filepath.Base(it.name), r.Status, where)
		}
	}
	if f.json() {
		return writeJSON(f, results)
	}
	return nil
}

// isServiceMissing tells a 404 for an unknown cloud service apart from a
// 404 for a certificate that is not there yet.
func isServiceMissing(err error) bool {
	return mgmtclient.IsNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "hosted service")
}
