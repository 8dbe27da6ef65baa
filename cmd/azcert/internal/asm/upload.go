package asm

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// UploadOptions is what `azcert upload` runs with.
type UploadOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Mgmt       cmdutil.MgmtFlags // Mgmt.Conn.CloudChanged: --cloud was given
	Files      []string
	Service    string
	InPassword string
	NoWait     bool
	Parallel   int
}

// MaxParallel bounds --parallel: each connection costs a TLS handshake
// signed with the management certificate's key, and the service throttles
// callers that press it.
const MaxParallel = 16

const uploadLong = `Without --service, register the public certificate of each file (.cer, .pem or
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
--auth-cert FILE (with --auth-password) or --publish-settings FILE.`

const uploadExample = `  # Register a management certificate (authenticating with another one)
  azcert upload mgmt2.cer --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW

  # Register every .cer in a directory, eight at a time
  azcert upload certs/*.cer --parallel 8 --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW

  # Upload an SSL certificate to a cloud service and wait for it
  azcert upload contoso.net.pfx --service contoso-web --in-password env:PFX_PW --publish-settings my.publishsettings

  # Against the local emulator (see azcert emulator --help)
  azcert upload site.cer --endpoint https://127.0.0.1:8443 --ca-file emulator-ca.pem --subscription $SUB --auth-cert mgmt.pfx --auth-password env:PW`

// NewCmdUpload makes `azcert upload`. runF, if not nil, replaces UploadRun
// (tests check the options with it).
func NewCmdUpload(f *cmdutil.Factory, runF func(*UploadOptions) error) *cobra.Command {
	opts := &UploadOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "upload <file>... --subscription <id> [--service <name>]",
		Short:             "Register management certificates, or upload service certificates",
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Long:              uploadLong,
		Example:           uploadExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give at least one certificate file to upload")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Files = args
			opts.Mgmt.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return UploadRun(opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.Mgmt, secret.InSyntax)
	// Given empty, --service would silently mean the subscription's
	// management certificates.
	cmd.Flags().Var(cmdutil.NonEmpty(&opts.Service, "empty; give the cloud service's name, or leave the flag out for management certificates"), "service", "cloud service (hosted service) name; without it, management certificates are registered")
	cmd.Flags().StringVar(&opts.InPassword, "in-password", "", "password source for the .pfx files: "+secret.InSyntax)
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "do not wait for service-certificate operations to finish")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", 4, fmt.Sprintf("uploads under way at once, 1 to %d (1: one after another, in argument order)", MaxParallel))
	return cmd
}

// UploadResult is one uploaded certificate, as -o json prints it.
type UploadResult struct {
	File       string `json:"file"`
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	RequestID  string `json:"requestId,omitempty"`
}

// UploadRun runs `azcert upload`: it checks the flags, connects, reads and
// checks every file, and only then uploads them, --parallel at a time.
func UploadRun(opts *UploadOptions) error {
	if err := checkUploadFlags(opts); err != nil {
		return err
	}
	if opts.Parallel > 1 {
		// Uploads under way note their progress (and, with --debug, trace
		// their requests) from several goroutines.
		opts.IO.ErrOut = &lockedWriter{w: opts.IO.ErrOut}
	}
	sess, err := opts.Factory.ServiceManagement(opts.Ctx, &opts.Mgmt)
	if err != nil {
		return err
	}
	items, err := loadUploads(opts)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Mgmt.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	// One client, so one pool of kept-alive connections, of at most one
	// connection per upload under way: the uploads reuse them instead of
	// each paying for a TLS handshake.
	sess.Client.LimitConnections(min(opts.Parallel, len(items)))
	defer sess.Client.CloseIdleConnections()
	return sendUploads(ctx, opts, sess, items)
}

// checkUploadFlags checks what the flags alone can tell.
func checkUploadFlags(opts *UploadOptions) error {
	if opts.NoWait && opts.Service == "" {
		return cmdutil.UsageErrorf("--no-wait applies only to --service uploads")
	}
	if opts.Parallel < 1 || opts.Parallel > MaxParallel {
		return cmdutil.UsageErrorf("--parallel must be between 1 and %d", MaxParallel)
	}
	return input.CheckStdin(opts.Files, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}, input.PasswordFlag{Name: "auth-password", Spec: opts.Mgmt.AuthPassword})
}

// loadUploads reads and checks every file before anything is sent; the
// files are read a few at a time, and taken in argument order.
func loadUploads(opts *UploadOptions) ([]uploadItem, error) {
	f := opts.Factory
	pw := secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"}
	ahead := input.StartReadAhead(f, opts.Files, func(l *input.Loaded) *input.Loaded { return l }, nil)
	defer ahead.Stop()
	items := make([]uploadItem, 0, len(opts.Files))
	for i, name := range opts.Files {
		l, ok, err := ahead.Get(i, pw)
		if err != nil {
			return nil, err
		}
		if !ok {
			if l, err = input.LoadFile(f, name, pw); err != nil {
				return nil, err
			}
		}
		needKey := opts.Service != "" && l.Bundle.Format == export.FormatPKCS12
		if err := cmdutil.CheckUploadable(name, l.Bundle, f.Now(), needKey); err != nil {
			return nil, err
		}
		items = append(items, uploadItem{name, l})
	}
	return items, nil
}

// sendUploads uploads the items and prints the results in argument order;
// the first failure in argument order is the error.
func sendUploads(ctx context.Context, opts *UploadOptions, sess *cmdutil.MgmtSession, items []uploadItem) error {
	where := "subscription " + sess.Subscription
	if opts.Service != "" {
		where = "cloud service " + opts.Service
	}
	results := make([]UploadResult, 0, len(items))
	var firstErr error
	for o := range uploadAll(items, opts.Parallel, func(it uploadItem) (UploadResult, error) {
		return uploadOne(ctx, opts, sess, it)
	}) {
		if o.err != nil {
			if firstErr == nil {
				firstErr = o.err
			}
			continue
		}
		results = append(results, o.result)
		if !opts.Factory.JSON() {
			fmt.Fprintf(opts.IO.Out, "%s  %s  %s (%s)\n", o.result.Thumbprint, filepath.Base(o.item.name), o.result.Status, where)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, results)
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
	result UploadResult
	err    error
}

// uploadAll runs upload for the items, at most parallel at a time, and
// yields the outcomes in the items' order, each as soon as it and those
// before it are known. Once an upload has failed no further one starts;
// the ones under way finish and are yielded. With parallel 1 the items
// go one after another and nothing starts after a failure.
func uploadAll(items []uploadItem, parallel int, upload func(uploadItem) (UploadResult, error)) func(yield func(uploadOutcome) bool) {
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
func uploadOne(ctx context.Context, opts *UploadOptions, sess *cmdutil.MgmtSession, it uploadItem) (UploadResult, error) {
	b := it.loaded.Bundle
	r := UploadResult{File: it.name, Thumbprint: mgmtclient.Thumbprint(b.Cert), Subject: b.Cert.Subject.String()}
	if opts.Service == "" {
		already, err := sess.Client.RegisterManagementCertificate(ctx, b.Cert)
		if err != nil {
			return r, AzureHint(fmt.Errorf("registering %s: %w", it.name, err), sess)
		}
		r.Status = "registered"
		if already {
			r.Status = "already registered"
		}
		return r, nil
	}
	if _, err := sess.Client.GetServiceCertificate(ctx, opts.Service, r.Thumbprint); err == nil {
		r.Status = "already on the service"
		return r, nil
	} else if !mgmtclient.IsNotFound(err) || IsServiceMissing(err) {
		return r, AzureHint(fmt.Errorf("checking %s on %s: %w", it.name, opts.Service, err), sess)
	}
	data, format, password := it.loaded.Data, "pfx", it.loaded.Password
	if b.Format != export.FormatPKCS12 {
		data, format, password = b.Cert.Raw, "cer", ""
	}
	failed := func(err error) error {
		return AESHint(AzureHint(fmt.Errorf("uploading %s to %s: %w", it.name, opts.Service, err), sess), it.name, secret.RemedySource(opts.Factory, opts.InPassword))
	}
	id, err := sess.Client.AddServiceCertificate(ctx, opts.Service, data, format, password)
	if err != nil {
		return r, failed(err)
	}
	r.RequestID = id
	r.Status = "accepted"
	if !opts.NoWait {
		opts.IO.Notef("uploading %s to %s (operation %s)...", it.name, opts.Service, id)
		if _, err := sess.Client.WaitOperation(ctx, id); err != nil {
			return r, failed(err)
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
