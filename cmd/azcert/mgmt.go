package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// mgmtOptions are the flags every Service Management command shares.
type mgmtOptions struct {
	subscription    string
	authCert        string
	authPassword    string
	publishSettings string
	cloud           string
	endpoint        string
	caFile          string
	timeout         time.Duration
	retries         int
}

func addMgmtFlags(cmd *cobra.Command, o *mgmtOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.subscription, "subscription", "", "subscription ID (also AZCERT_SUBSCRIPTION or the publish settings file)")
	fl.StringVar(&o.authCert, "auth-cert", "", "management certificate with its key (.pfx, or PEM with the key) that authenticates the calls")
	fl.StringVar(&o.authPassword, "auth-password", "", "password source for --auth-cert: "+inPasswordSyntax)
	fl.StringVar(&o.publishSettings, "publish-settings", "", "a .publishsettings file: subscription, endpoint and management certificate in one")
	fl.StringVar(&o.cloud, "cloud", "public", "Azure cloud: public, china or usgov")
	fl.StringVar(&o.endpoint, "endpoint", "", "Service Management base URL (overrides --cloud; e.g. the emulator's URL)")
	fl.StringVar(&o.caFile, "ca-file", "", "extra PEM CA certificates to trust for the endpoint (e.g. the emulator's)")
	fl.DurationVar(&o.timeout, "timeout", 2*time.Minute, "overall time limit, retries and waiting included")
	fl.IntVar(&o.retries, "retries", 4, "retries of a request after a network error, throttling or a 5xx answer")
	_ = cmd.RegisterFlagCompletionFunc("cloud", cobra.FixedCompletions([]string{"public", "china", "usgov"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("auth-cert", "pfx", "p12", "pem")
	_ = cmd.MarkFlagFilename("publish-settings", "publishsettings")
	_ = cmd.MarkFlagFilename("ca-file", "pem", "crt")
}

// mgmtSession is a connected client and what it is connected as.
type mgmtSession struct {
	client       *mgmtclient.Client
	subscription string
	endpoint     string
	authThumb    string
}

// connect validates the connection flags, loads the management certificate
// and builds the client. It sends nothing.
func (f *factory) connect(cmd *cobra.Command, o *mgmtOptions) (*mgmtSession, error) {
	if o.timeout <= 0 {
		return nil, usageErrorf("--timeout must be positive")
	}
	if o.retries < 0 || o.retries > 20 {
		return nil, usageErrorf("--retries must be between 0 and 20")
	}
	if o.publishSettings != "" && o.authCert != "" {
		return nil, usageErrorf("--publish-settings and --auth-cert both name the management certificate; give one")
	}
	s := &mgmtSession{subscription: o.subscription}
	var cert tls.Certificate
	switch {
	case o.publishSettings != "":
		data, err := f.readInput(o.publishSettings)
		if err != nil {
			return nil, err
		}
		ps, err := mgmtclient.ParsePublishSettings(data)
		if err != nil {
			return nil, inputErrorf("%s: %w", o.publishSettings, err)
		}
		sub, err := ps.Pick(o.subscription)
		if err != nil {
			var amb *mgmtclient.AmbiguousSubscriptionError
			if errors.As(err, &amb) {
				return nil, &usageError{err}
			}
			return nil, &inputError{err}
		}
		s.subscription, cert, s.authThumb = sub.ID, sub.Certificate, sub.Thumbprint
		if o.endpoint == "" && !cmd.Flags().Changed("cloud") && sub.Endpoint != "" {
			s.endpoint = sub.Endpoint
		}
	case o.authCert != "":
		b, err := f.loadInputWith(cmd.Context(), o.authCert, o.authPassword, "auth-password", "AZCERT_AUTH_PASSWORD")
		if err != nil {
			return nil, err
		}
		if b.Key == nil {
			return nil, withHint(inputErrorf("%s holds no private key; the management certificate must come with its key", o.authCert),
				"give the .pfx, or a PEM file with both the certificate and the key")
		}
		cert = tls.Certificate{Certificate: [][]byte{b.Cert.Raw}, PrivateKey: b.Key, Leaf: b.Cert}
		s.authThumb = mgmtclient.Thumbprint(b.Cert)
	default:
		return nil, withHint(usageErrorf("no management certificate: give --auth-cert FILE or --publish-settings FILE"),
			"create one with 'azcert new azcert-mgmt --for management' and register azcert-mgmt.cer in the portal (or the emulator's --trust)")
	}
	if s.subscription == "" {
		return nil, usageErrorf("no subscription: give --subscription ID or set AZCERT_SUBSCRIPTION")
	}
	if !mgmtclient.ValidSubscription(s.subscription) {
		return nil, usageErrorf("--subscription %q is not a subscription ID (a GUID)", s.subscription)
	}
	if s.endpoint == "" {
		s.endpoint = o.endpoint
	}
	if s.endpoint == "" {
		u, err := mgmtclient.EndpointFor(o.cloud)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cloud: %w", err)}
		}
		s.endpoint = u
	}
	var roots *x509.CertPool
	if o.caFile != "" {
		data, err := f.readInput(o.caFile)
		if err != nil {
			return nil, err
		}
		roots, err = x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(data) {
			return nil, inputErrorf("%s: no PEM certificate found for --ca-file", o.caFile)
		}
	}
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     mgmtclient.TLSConfig(cert, roots),
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 4,
		TLSHandshakeTimeout: 30 * time.Second,
		ForceAttemptHTTP2:   false, // renegotiation needs HTTP/1.1
	}}
	opts := mgmtclient.Options{Endpoint: s.endpoint, Subscription: s.subscription, HTTPClient: hc, MaxRetries: o.retries}
	if o.retries == 0 {
		opts.MaxRetries = -1 // mgmtclient: negative means none
	}
	opts.OnRetry = f.retryNote()
	if f.debug {
		opts.Trace = f.IO.ErrOut
	}
	if f.mgmtOptions != nil {
		f.mgmtOptions(&opts)
	}
	c, err := mgmtclient.New(opts)
	if err != nil {
		return nil, &usageError{err}
	}
	s.client = c
	return s, nil
}

// withTimeout bounds a command's calls by --timeout.
func withTimeout(cmd *cobra.Command, o *mgmtOptions) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, o.timeout)
}

// azureHint adds advice to the errors users can act on.
func azureHint(err error, s *mgmtSession) error {
	var e *mgmtclient.Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusForbidden:
			return withHint(err, "the management certificate %s must be registered with subscription %s (portal, or the emulator's --trust), and the subscription ID must be right", s.authThumb, s.subscription)
		case mgmtclient.IsLimit(err):
			return withHint(fmt.Errorf("the subscription has reached its limit of management certificates: %w", err),
				"a subscription holds at most 100 management certificates; see them with 'azcert list' and remove each unused one by its thumbprint with azcert delete")
		}
	}
	return err
}

// aesHint adds, to a service-certificate upload that failed because the
// .pfx is AES-encrypted, the command that re-encrypts that very file.
func aesHint(err error, file, source string) error {
	if errors.As(err, new(*mgmtclient.OperationError)) && strings.Contains(err.Error(), "AES") {
		return withHint(err, "re-encrypt it for Cloud Services: %s", check.ReencryptCommand(file, source))
	}
	return err
}

// checkUploadable applies Azure's basic rules before anything is sent.
func checkUploadable(name string, b *export.Bundle, now time.Time, needKey bool) error {
	if typ, bits := export.KeyInfo(b.Cert); typ != "RSA" || bits < 2048 {
		return inputErrorf("%s: the key is %s %d; Azure requires RSA with at least 2048 bits", name, typ, bits)
	}
	if now.After(b.Cert.NotAfter) {
		return inputErrorf("%s: the certificate expired on %s", name, b.Cert.NotAfter.UTC().Format(time.DateOnly))
	}
	if needKey && b.Key == nil {
		return withHint(inputErrorf("%s holds no private key; a service certificate for SSL must be a .pfx with its key", name),
			"upload the .pfx that holds the certificate's key")
	}
	return nil
}
