package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

type uploadOptions struct {
	mgmt       cmdutil.MgmtFlags
	files      []string
	service    string
	inPassword string
	noWait     bool
	parallel   int
}

// maxParallel bounds --parallel: each connection costs a TLS handshake
// signed with the management certificate's key, and the service throttles
// callers that press it.
const maxParallel = 16

func newUploadCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &uploadOptions{}
	cmd := &cobra.Command{
		Use:               "upload <file>... --subscription <id> [--service <name>]",
		Short:             "Register management certificates, or upload service certificates",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
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

Up to --parallel uploads (default 4) are under way at once, over as many
kept-alive connections: one TLS handshake per connection, not per file.
Results are printed in argument order. If one fails, no further upload
starts; those already under way finish and are reported, and the first
failure in argument order sets the exit code. --parallel 1 uploads one file
after another in argument order and stops at the first failure.

The calls are authenticated with a registered management certificate:
--auth-cert FILE (with --auth-password) or --publish-settings FILE.`,
		Example: `  # Register a management certificate (authenticating with another one)
  azcert upload mgmt2.cer --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW

  # Register every .cer in a directory, eight at a time
  azcert upload certs/*.cer --parallel 8 --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW

  # Upload an SSL certificate to a cloud service and wait for it
  azcert upload contoso.net.pfx --service contoso-web --in-password env:PFX_PW --publish-settings my.publishsettings

  # Against the local emulator (see azcert emulator --help)
  azcert upload site.cer --endpoint https://127.0.0.1:8443 --ca-file emulator-ca.pem --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one certificate file to upload")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			return runUpload(f, cmd, opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.mgmt, secret.InSyntax)
	cmd.Flags().StringVar(&opts.service, "service", "", "cloud service (hosted service) name; without it, management certificates are registered")
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source for the .pfx files: "+secret.InSyntax)
	cmd.Flags().BoolVar(&opts.noWait, "no-wait", false, "do not wait for service-certificate operations to finish")
	cmd.Flags().IntVar(&opts.parallel, "parallel", 4, fmt.Sprintf("uploads under way at once, 1 to %d (1: one after another, in argument order)", maxParallel))
	return cmd
}

type uploadResult struct {
	File       string `json:"file"`
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	RequestID  string `json:"requestId,omitempty"`
}

func runUpload(f *cmdutil.Factory, cmd *cobra.Command, opts *uploadOptions) error {
	if opts.noWait && opts.service == "" {
		return cmdutil.UsageErrorf("--no-wait applies only to --service uploads")
	}
	if opts.parallel < 1 || opts.parallel > maxParallel {
		return cmdutil.UsageErrorf("--parallel must be between 1 and %d", maxParallel)
	}
	if err := input.CheckStdin(opts.files, input.PasswordFlag{Name: "in-password", Spec: opts.inPassword}, input.PasswordFlag{Name: "auth-password", Spec: opts.mgmt.AuthPassword}); err != nil {
		return err
	}
	if opts.parallel > 1 {
		// Uploads under way note their progress (and, with --debug, trace
		// their requests) from several goroutines.
		f.IO.ErrOut = &lockedWriter{w: f.IO.ErrOut}
	}
	sess, err := connectMgmt(cmd, f, &opts.mgmt)
	if err != nil {
		return err
	}
	// Read and check every file before sending anything; the files are
	// read a few at a time, and taken in argument order.
	pw := secret.Request{Flag: "in-password", Spec: opts.inPassword, EnvVar: "AZCERT_IN_PASSWORD"}
	ahead := input.StartReadAhead(f, opts.files, func(l *input.Loaded) *input.Loaded { return l }, nil)
	defer ahead.Stop()
	items := make([]uploadItem, 0, len(opts.files))
	for i, name := range opts.files {
		l, ok, err := ahead.Get(i, pw)
		if err != nil {
			return err
		}
		if !ok {
			if l, err = input.LoadFile(f, name, pw); err != nil {
				return err
			}
		}
		needKey := opts.service != "" && l.Bundle.Format == export.FormatPKCS12
		if err := checkUploadable(name, l.Bundle, f.Now(), needKey); err != nil {
			return err
		}
		items = append(items, uploadItem{name, l})
	}

	ctx, cancel := opts.mgmt.Conn.WithTimeout(cmd.Context())
	defer cancel()
	// One client, so one pool of kept-alive connections, of at most one
	// connection per upload under way: the uploads reuse them instead of
	// each paying for a TLS handshake.
	sess.Client.LimitConnections(min(opts.parallel, len(items)))
	defer sess.Client.CloseIdleConnections()
	where := "subscription " + sess.Subscription
	if opts.service != "" {
		where = "cloud service " + opts.service
	}
	results := make([]uploadResult, 0, len(items))
	var firstErr error
	for o := range uploadAll(items, opts.parallel, func(it uploadItem) (uploadResult, error) {
		return uploadOne(ctx, f, sess, opts, it)
	}) {
		if o.err != nil {
			if firstErr == nil {
				firstErr = o.err
			}
			continue
		}
		results = append(results, o.result)
		if !f.JSON() {
			fmt.Fprintf(f.IO.Out, "%s  %s  %s (%s)\n", o.result.Thumbprint, filepath.Base(o.item.name), o.result.Status, where)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, results)
	}
	return nil
}

type uploadItem struct {
	name   string
	loaded *input.Loaded
}

// uploadOutcome is what became of one upload; skipped ones (after a
// failure) are not reported.
type uploadOutcome struct {
	item   uploadItem
	result uploadResult
	err    error
}

// uploadAll runs upload for the items, at most parallel at a time, and
// yields the outcomes in the items' order, each as soon as it and those
// before it are known. Once an upload has failed no further one starts;
// the ones under way finish and are yielded. With parallel 1 the items
// go one after another and nothing starts after a failure.
func uploadAll(items []uploadItem, parallel int, upload func(uploadItem) (uploadResult, error)) func(yield func(uploadOutcome) bool) {
	return func(yield func(uploadOutcome) bool) {
		outcomes := make([]uploadOutcome, len(items))
		done := make([]chan struct{}, len(items))
		for i := range done {
			done[i] = make(chan struct{})
		}
		skipped := make([]bool, len(items))
		var failed atomic.Bool
		next := make(chan int)
		go func() {
			defer close(next)
			for i := range items {
				next <- i
			}
		}()
		for range min(parallel, len(items)) {
			go func() {
				for i := range next {
					// Checked when the upload would start, so that with one
					// worker nothing starts after a failure.
					if failed.Load() {
						skipped[i] = true
					} else {
						r, err := upload(items[i])
						outcomes[i] = uploadOutcome{item: items[i], result: r, err: err}
						if err != nil {
							failed.Store(true)
						}
					}
					close(done[i])
				}
			}()
		}
		stopped := false
		for i := range items {
			<-done[i] // every item ends: uploaded, failed or skipped
			if stopped || skipped[i] {
				continue
			}
			if !yield(outcomes[i]) {
				stopped = true
				failed.Store(true)
			}
		}
	}
}

// uploadOne uploads one certificate. It runs on one of --parallel
// goroutines.
func uploadOne(ctx context.Context, f *cmdutil.Factory, sess *cmdutil.MgmtSession, opts *uploadOptions, it uploadItem) (uploadResult, error) {
	b := it.loaded.Bundle
	r := uploadResult{File: it.name, Thumbprint: mgmtclient.Thumbprint(b.Cert), Subject: b.Cert.Subject.String()}
	if opts.service == "" {
		already, err := sess.Client.RegisterManagementCertificate(ctx, b.Cert)
		if err != nil {
			return r, azureHint(fmt.Errorf("registering %s: %w", it.name, err), sess)
		}
		r.Status = "registered"
		if already {
			r.Status = "already registered"
		}
		return r, nil
	}
	if _, err := sess.Client.GetServiceCertificate(ctx, opts.service, r.Thumbprint); err == nil {
		r.Status = "already on the service"
		return r, nil
	} else if !mgmtclient.IsNotFound(err) || isServiceMissing(err) {
		return r, azureHint(fmt.Errorf("checking %s on %s: %w", it.name, opts.service, err), sess)
	}
	data, format, password := it.loaded.Data, "pfx", it.loaded.Password
	if b.Format != export.FormatPKCS12 {
		data, format, password = b.Cert.Raw, "cer", ""
	}
	id, err := sess.Client.AddServiceCertificate(ctx, opts.service, data, format, password)
	if err != nil {
		return r, aesHint(azureHint(fmt.Errorf("uploading %s to %s: %w", it.name, opts.service, err), sess), it.name, commandPasswordSource(opts.inPassword, f))
	}
	r.RequestID = id
	r.Status = "accepted"
	if !opts.noWait {
		f.IO.Notef("uploading %s to %s (operation %s)...", it.name, opts.service, id)
		if _, err := sess.Client.WaitOperation(ctx, id); err != nil {
			return r, aesHint(azureHint(fmt.Errorf("uploading %s to %s: %w", it.name, opts.service, err), sess), it.name, commandPasswordSource(opts.inPassword, f))
		}
		r.Status = "uploaded"
	}
	return r, nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// isServiceMissing tells a 404 for an unknown cloud service apart from a
// 404 for a certificate that is not there yet.
func isServiceMissing(err error) bool {
	return mgmtclient.IsNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "hosted service")
}
