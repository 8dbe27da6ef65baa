// Package connect builds the Azure clients from a command's connection
// flags: it validates them, loads the management certificate or finds a
// token, reads an extra CA file, and configures retries, the retry notes
// and the --debug trace. It sends nothing; the first request is the
// command's. main installs these as the Factory's constructors.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/keyvault"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

// Install sets those of f's client constructors that are not set (a test
// may have set one) to the real ones.
func Install(f *cmdutil.Factory) {
	if f.ServiceManagement == nil {
		f.ServiceManagement = func(ctx context.Context, o *cmdutil.MgmtFlags) (*cmdutil.MgmtSession, error) {
			return ServiceManagement(ctx, f, o)
		}
	}
	if f.APIManagement == nil {
		f.APIManagement = func(ctx context.Context, o *cmdutil.APIMFlags) (*cmdutil.APIMSession, error) {
			return APIManagement(ctx, f, o)
		}
	}
	if f.KeyVault == nil {
		f.KeyVault = func(ctx context.Context, o *cmdutil.KeyVaultFlags) (*cmdutil.KeyVaultSession, error) {
			return KeyVault(ctx, f, o)
		}
	}
	if f.Network == nil {
		f.Network = func(ctx context.Context, o *cmdutil.NetworkFlags) (*cmdutil.NetworkSession, error) {
			return Network(ctx, f, o)
		}
	}
	installEntra(f)
}

// checkConn validates the flags every connection has.
func checkConn(o *cmdutil.ConnFlags) error {
	// --cloud is checked even when an endpoint overrides it: a mistyped
	// cloud is a mistake either way.
	if _, err := azhttp.CloudEndpoint(azhttp.ARMEndpoints, o.Cloud); err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	if o.Retries < 0 || o.Retries > 20 {
		return cmdutil.UsageErrorf("--retries must be between 0 and 20")
	}
	return nil
}

// maxRetries is --retries as the clients take it: negative means none.
func maxRetries(o *cmdutil.ConnFlags) int {
	if o.Retries == 0 {
		return -1
	}
	return o.Retries
}

// roots is the system pool plus --ca-file's certificates, or nil (the
// system pool) without --ca-file.
func roots(f *cmdutil.Factory, o *cmdutil.ConnFlags) (*x509.CertPool, error) {
	if o.CAFile == "" {
		return nil, nil
	}
	data, err := input.Read(f, o.CAFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, cmdutil.InputErrorf("%s: no PEM certificate found for --ca-file", o.CAFile)
	}
	return pool, nil
}

// RetryNote is the OnRetry of the Azure clients: one stderr line per retry
// on a terminal (not with --quiet), or always with --debug; nothing in
// pipelines, whose logs would fill with back-off noise.
func RetryNote(f *cmdutil.Factory) func(mgmtclient.RetryInfo) {
	if !f.Debug && (!f.IO.ErrTTY || f.Quiet) {
		return nil
	}
	return func(r mgmtclient.RetryInfo) {
		fmt.Fprintf(f.IO.ErrOut, "azcert: %s\n", cmdutil.Printable(r.String()))
	}
}

// trace is where --debug sends the clients' HTTP trace: stderr, or nowhere.
func trace(f *cmdutil.Factory) io.Writer {
	if f.Debug {
		return f.IO.ErrOut
	}
	return nil
}

// ServiceManagement validates the Service Management flags, loads the
// management certificate and builds the client.
func ServiceManagement(ctx context.Context, f *cmdutil.Factory, o *cmdutil.MgmtFlags) (*cmdutil.MgmtSession, error) {
	if err := checkConn(&o.Conn); err != nil {
		return nil, err
	}
	if o.PublishSettings != "" && o.AuthCert != "" {
		return nil, cmdutil.UsageErrorf("--publish-settings and --auth-cert both name the management certificate; give one")
	}
	s := &cmdutil.MgmtSession{Subscription: o.Subscription}
	cert, err := managementCert(f, o, s)
	if err != nil {
		return nil, err
	}
	if s.Subscription == "" {
		return nil, cmdutil.UsageErrorf("no subscription: give --subscription ID or set AZCERT_SUBSCRIPTION")
	}
	if !mgmtclient.ValidSubscription(s.Subscription) {
		return nil, cmdutil.UsageErrorf("--subscription %q is not a subscription ID (a GUID)", s.Subscription)
	}
	if s.Endpoint == "" {
		s.Endpoint = o.Conn.Endpoint
	}
	if s.Endpoint == "" {
		u, err := mgmtclient.EndpointFor(o.Conn.Cloud)
		if err != nil {
			return nil, &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
		}
		s.Endpoint = u
	}
	pool, err := roots(f, &o.Conn)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     mgmtclient.TLSConfig(cert, pool),
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 4,
		TLSHandshakeTimeout: 30 * time.Second,
		ForceAttemptHTTP2:   false, // renegotiation needs HTTP/1.1
	}}
	opts := mgmtclient.Options{Endpoint: s.Endpoint, Subscription: s.Subscription, HTTPClient: hc, MaxRetries: maxRetries(&o.Conn)}
	opts.OnRetry, opts.Trace = RetryNote(f), trace(f)
	if f.MgmtOptions != nil {
		f.MgmtOptions(&opts)
	}
	c, err := mgmtclient.New(opts)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	s.Client = c
	return s, nil
}

// managementCert loads the certificate that authenticates the calls, from
// --publish-settings (which may also give the subscription and endpoint,
// filled into s) or --auth-cert.
func managementCert(f *cmdutil.Factory, o *cmdutil.MgmtFlags, s *cmdutil.MgmtSession) (tls.Certificate, error) {
	var cert tls.Certificate
	switch {
	case o.PublishSettings != "":
		data, err := input.Read(f, o.PublishSettings)
		if err != nil {
			return cert, err
		}
		ps, err := mgmtclient.ParsePublishSettings(data)
		if err != nil {
			return cert, cmdutil.InputErrorf("%s: %w", o.PublishSettings, err)
		}
		sub, err := ps.Pick(o.Subscription)
		if err != nil {
			var amb *mgmtclient.AmbiguousSubscriptionError
			if errors.As(err, &amb) {
				return cert, &cmdutil.UsageError{Err: err}
			}
			return cert, &cmdutil.InputError{Err: err}
		}
		s.Subscription, cert, s.AuthThumb = sub.ID, sub.Certificate, sub.Thumbprint
		if o.Conn.Endpoint == "" && !o.Conn.CloudChanged && sub.Endpoint != "" {
			s.Endpoint = sub.Endpoint
		}
	case o.AuthCert != "":
		b, err := input.LoadWith(f, o.AuthCert, o.AuthPassword, "auth-password", "AZCERT_AUTH_PASSWORD")
		if err != nil {
			return cert, err
		}
		if b.Key == nil {
			return cert, cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key; the management certificate must come with its key", o.AuthCert),
				"give the .pfx, or a PEM file with both the certificate and the key")
		}
		cert = tls.Certificate{Certificate: [][]byte{b.Cert.Raw}, PrivateKey: b.Key, Leaf: b.Cert}
		s.AuthThumb = mgmtclient.Thumbprint(b.Cert)
	default:
		return cert, cmdutil.WithHint(cmdutil.UsageErrorf("no management certificate: give --auth-cert FILE or --publish-settings FILE"),
			"create one with 'azcert new azcert-mgmt --for management' and register azcert-mgmt.cer in the portal (or the emulator's --trust)")
	}
	return cert, nil
}

// APIManagement validates the API Management flags, finds a token
// credential and builds the client.
func APIManagement(ctx context.Context, f *cmdutil.Factory, o *cmdutil.APIMFlags) (*cmdutil.APIMSession, error) {
	// In the order of the usage line, so the message is the same every run.
	for _, req := range []struct{ flag, v string }{{"subscription", o.Subscription}, {"resource-group", o.ResourceGroup}, {"service", o.Service}} {
		if req.v == "" {
			return nil, cmdutil.UsageErrorf("--%s is required", req.flag)
		}
	}
	endpoint, cred, hc, err := armConnection(f, &o.Conn, o.AccessToken)
	if err != nil {
		return nil, err
	}
	opts := apimclient.Options{
		Endpoint: endpoint, Credential: cred, Transport: hc,
		Subscription: o.Subscription, ResourceGroup: o.ResourceGroup, Service: o.Service, MaxRetries: maxRetries(&o.Conn),
	}
	opts.OnRetry, opts.Trace = RetryNote(f), trace(f)
	if f.APIMOptions != nil {
		f.APIMOptions(&opts)
	}
	c, err := apimclient.New(opts)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	return &cmdutil.APIMSession{Client: c, Where: fmt.Sprintf("API Management %s/%s", o.ResourceGroup, o.Service)}, nil
}

// KeyVault validates the Key Vault flags, finds a token credential and
// builds the client. The vault's challenge, on the first request, tells
// the client the tenant and scope of the token it needs.
func KeyVault(ctx context.Context, f *cmdutil.Factory, o *cmdutil.KeyVaultFlags) (*cmdutil.KeyVaultSession, error) {
	if o.Conn.Endpoint == "" {
		return nil, cmdutil.UsageErrorf("--vault is required: the vault's name or URL (or set AZCERT_VAULT)")
	}
	vault, cred, hc, err := bearerConnection(f, &o.Conn, o.AccessToken, func() (string, error) {
		u, err := keyvault.VaultURL(o.Conn.Endpoint, o.Conn.Cloud)
		if err != nil {
			return "", &cmdutil.UsageError{Err: fmt.Errorf("--vault: %w", err)}
		}
		return u, nil
	})
	if err != nil {
		return nil, err
	}
	opts := keyvault.Options{VaultURL: vault, Credential: cred, Transport: hc, MaxRetries: maxRetries(&o.Conn)}
	opts.OnRetry, opts.Trace = RetryNote(f), trace(f)
	if f.KeyVaultOptions != nil {
		f.KeyVaultOptions(&opts)
	}
	c, err := keyvault.New(opts)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	return &cmdutil.KeyVaultSession{Client: c, Where: "vault " + c.VaultURL()}, nil
}

// Network validates the VPN gateway flags (--gateway, the subscription,
// which a resource id may give), finds a token credential and builds the
// client.
func Network(ctx context.Context, f *cmdutil.Factory, o *cmdutil.NetworkFlags) (*cmdutil.NetworkSession, error) {
	if o.Gateway == "" {
		return nil, cmdutil.UsageErrorf("--gateway is required: RESOURCE-GROUP/NAME or the gateway's resource id")
	}
	sub, rg, name, err := network.ParseGatewayRef(o.Gateway)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: fmt.Errorf("--gateway: %w", err)}
	}
	switch {
	case sub != "" && o.Subscription != "" && !strings.EqualFold(sub, o.Subscription):
		return nil, cmdutil.UsageErrorf("--gateway names subscription %s and --subscription (or AZCERT_SUBSCRIPTION) %s; give one", sub, o.Subscription)
	case sub == "":
		sub = o.Subscription
	}
	if sub == "" {
		return nil, cmdutil.UsageErrorf("no subscription: give --subscription ID, set AZCERT_SUBSCRIPTION, or give --gateway as a resource id")
	}
	if !azhttp.ValidSubscription(sub) {
		return nil, cmdutil.UsageErrorf("subscription %q is not a subscription ID (a GUID)", sub)
	}
	endpoint, cred, hc, err := armConnection(f, &o.Conn, o.AccessToken)
	if err != nil {
		return nil, err
	}
	opts := network.Options{Endpoint: endpoint, Credential: cred, Transport: hc, Subscription: sub, MaxRetries: maxRetries(&o.Conn)}
	opts.OnRetry, opts.Trace = RetryNote(f), trace(f)
	if f.NetworkOptions != nil {
		f.NetworkOptions(&opts)
	}
	c, err := network.New(opts)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	return &cmdutil.NetworkSession{Client: c, ResourceGroup: rg, Name: name, Where: fmt.Sprintf("VPN gateway %s/%s", rg, name)}, nil
}

// bearerClient is the HTTP client of a service that takes bearer tokens:
// the default transport (proxies from the environment), trusting
// --ca-file's certificates as well.
func bearerClient(f *cmdutil.Factory, o *cmdutil.ConnFlags) (*http.Client, error) {
	pool, err := roots(f, o)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: tr}, nil
}

// tokenCredential is where bearer tokens come from: --access-token (a
// password source), else AZCERT_ACCESS_TOKEN (the token itself), else the
// Azure credential chain (environment, workload identity, managed
// identity, Azure CLI, Azure Developer CLI).
func tokenCredential(f *cmdutil.Factory, spec string) (azcore.TokenCredential, error) {
	if spec != "" {
		tok, err := secret.Resolve(f, secret.Request{Flag: "access-token", Spec: spec, EnvVar: "AZCERT_ACCESS_TOKEN", Purpose: "the access token", Noun: "token"})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(tok.Value) == "" {
			return nil, cmdutil.UsageErrorf("--access-token: the token is empty")
		}
		return azhttp.StaticToken(strings.TrimSpace(tok.Value)), nil
	}
	if v, ok := f.Setting("AZCERT_ACCESS_TOKEN"); ok {
		return azhttp.StaticToken(strings.TrimSpace(v)), nil
	}
	c, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, cmdutil.UsageErrorf("the Azure credential chain cannot start: %s", OneLine(err.Error()))
	}
	return c, nil
}

// credNameRE finds "XCredential: reason" in the message of the Azure
// credential chain, one per credential it tried.
var credNameRE = regexp.MustCompile(`(\w+Credential): ([^\n]*)`)

// CredentialFailure words an error that says no token could be had (an
// *azhttp.CredentialError) as one line naming what was tried, with the
// hint how to log in; any other error it returns unchanged.
func CredentialFailure(err error) error {
	var ce *azhttp.CredentialError
	if !errors.As(err, &ce) {
		return err
	}
	var tried []string
	seen := map[string]bool{}
	for _, m := range credNameRE.FindAllStringSubmatch(ce.Err.Error(), -1) {
		if m[1] == "DefaultAzureCredential" || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		reason := strings.TrimSpace(m[2])
		if i := strings.IndexAny(reason, ".;"); i > 0 {
			reason = reason[:i]
		}
		tried = append(tried, fmt.Sprintf("%s (%s)", strings.TrimSuffix(m[1], "Credential"), reason))
	}
	msg := "no Azure credential is available"
	if len(tried) > 0 {
		msg += "; tried " + strings.Join(tried, ", ")
	} else {
		msg += ": " + OneLine(ce.Err.Error())
	}
	return cmdutil.WithHint(&cmdutil.CredentialError{Err: errors.New(msg)},
		"log in with 'az login', set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or give --access-token")
}

// OneLine folds s's whitespace, newlines included, into single spaces.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// armConnection checks the connection flags of an Azure Resource Manager
// command and returns the ARM endpoint (--arm-endpoint, else the one of
// --cloud), the token credential and the HTTP client.
func armConnection(f *cmdutil.Factory, conn *cmdutil.ConnFlags, accessToken string) (string, azcore.TokenCredential, *http.Client, error) {
	return bearerConnection(f, conn, accessToken, func() (string, error) {
		if conn.Endpoint != "" {
			return conn.Endpoint, nil
		}
		u, err := azhttp.CloudEndpoint(azhttp.ARMEndpoints, conn.Cloud)
		if err != nil {
			return "", &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
		}
		return u, nil
	})
}

// bearerConnection checks the connection flags of a service that takes
// bearer tokens (ARM, Key Vault, Microsoft Graph) and returns its endpoint
// (what endpoint makes of the flags), the token credential and the HTTP
// client, in that order of checks, so a bad flag is refused before a
// token is looked for.
func bearerConnection(f *cmdutil.Factory, conn *cmdutil.ConnFlags, accessToken string, endpoint func() (string, error)) (string, azcore.TokenCredential, *http.Client, error) {
	if err := checkConn(conn); err != nil {
		return "", nil, nil, err
	}
	u, err := endpoint()
	if err != nil {
		return "", nil, nil, err
	}
	cred, err := tokenCredential(f, accessToken)
	if err != nil {
		return "", nil, nil, err
	}
	hc, err := bearerClient(f, conn)
	if err != nil {
		return "", nil, nil, err
	}
	return u, cred, hc, nil
}
