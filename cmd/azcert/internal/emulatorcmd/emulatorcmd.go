// Package emulatorcmd is azcert emulator: it wires the emulator of each
// Azure service (pkg/emulator/azure) into one local HTTPS server, prints
// how to reach it, and serves until stopped.
package emulatorcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/graph"
	"github.com/azcert/azcert/pkg/emulator/network"
)

// Options is what `azcert emulator` runs with.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Listen         string
	Subscription   string
	Trust          []string
	Services       []string
	State          string
	CAOut          string
	MaxMgmtCerts   int
	OperationDelay time.Duration
	Faults         []string
	APIM           []string
	ARMToken       string
	EntraApps      []string
	VPNGateways    []string
}

const emulatorLong = `Run a local HTTPS server that behaves like the Azure Service Management API
for certificates: management certificates (201 on add, 409 for a duplicate,
a limit of --max-management-certs), service certificates of the cloud
services named by --service (asynchronous, with operations that stay
InProgress for --operation-delay), operation status, and the real service's
errors (403 ForbiddenError, 404 ResourceNotFound, 400 BadRequest,
MissingOrIncorrectVersionHeader, InvalidXmlRequest).

It requires a client certificate in the TLS handshake and accepts only the
management certificates registered with the subscription. Register the first
one with --trust FILE, as the portal does for a real subscription. The
server's own certificate is written to --ca-out for the clients' --ca-file.

It also serves the Azure Resource Manager endpoints of API Management client
certificates (paths /subscriptions/...) for the services named by --apim,
to requests that carry the bearer token it prints (--access-token).

It also serves the VPN gateways named by --vpn-gateway RG/NAME (ARM paths
under Microsoft.Network): their point-to-site root and revoked
certificates, read and written back whole with ETags (412 on a stale
If-Match), the update followed through Azure-AsyncOperation (InProgress for
--operation-delay), at most 20 roots. Each is printed as a "vpn-gateway:"
line.

It also serves the certificates of the Key Vault data plane (paths
/certificates/... and /deletedcertificates/...; the vault URL is the
server's URL): import, get, list, versions, soft delete, recover and purge,
with Key Vault's 401 challenge to a request without the bearer token (the
same ARM token), so the official Azure SDKs can use it as a vault.

It also serves Microsoft Entra ID for the applications named by
--entra-app: Microsoft Graph (paths /v1.0/applications/... and
/v1.0/servicePrincipals/...: read, PATCH keyCredentials, addKey and
removeKey with a verified proof of possession) and the token endpoint
(/{tenant}/oauth2/v2.0/token), which takes a client assertion signed with
a certificate the application holds, so the official SDKs can sign in with
it (authority = the server's URL). Graph accepts the same ARM token, or a
token the endpoint issued (for the application's own objects).

It listens on 127.0.0.1 by default and prints its URL, subscription, CA
file, ARM endpoint, ARM token and Key Vault URL, one "key: value" per line
(JSON with -o json), then the Graph endpoint, the tenant, one "entra-app:"
line per application with its ids and one "vpn-gateway:" line per gateway.
Ctrl-C or SIGTERM stops it; with --state FILE the registrations, the
vault's certificates, the applications' credentials and the gateways
survive a restart.

Faults for trying retries (--fault, repeatable): throttle:N (503
TooManyRequests), internal:N (500), reset:N (drop the connection),
delay:DURATION:N, redirect:N (307) — each for the next N requests.`

const emulatorExample = `  # Start it with a first management certificate
  azcert new azcert-mgmt --for management --name mgmt --password env:PW
  azcert emulator --trust mgmt.cer --service contoso-web --ca-out emulator-ca.pem

  # In another shell: use it
  azcert list --endpoint https://127.0.0.1:8443 --ca-file emulator-ca.pem \
    --subscription 8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36 --auth-cert mgmt.pfx --auth-password env:PW

  # An Entra ID application for azcert's Graph commands or the Azure SDKs
  azcert emulator --trust mgmt.cer --entra-app ci-deploy

  # A free port, state kept across restarts, and the first two requests throttled
  azcert emulator --listen 127.0.0.1:0 --trust mgmt.cer --state emu.json --fault throttle:2`

// NewCmdEmulator makes `azcert emulator`. runF, if not nil, replaces Run
// (tests check the options with it).
func NewCmdEmulator(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "emulator",
		Short:   "Run a local Service Management endpoint for trying azcert offline",
		Long:    emulatorLong,
		Example: emulatorExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:8443", "address to listen on (port 0 picks a free one)")
	fl.StringVar(&opts.Subscription, "subscription", emulator.DefaultSubscription, "the subscription ID it serves")
	fl.StringArrayVar(&opts.Trust, "trust", nil, "certificate file registered as a management certificate at start (repeatable)")
	fl.StringArrayVar(&opts.Services, "service", nil, "cloud service (hosted service) name (repeatable)")
	fl.StringVar(&opts.State, "state", "", "JSON file that keeps the registrations across restarts")
	fl.StringVar(&opts.CAOut, "ca-out", "emulator-ca.pem", "where to write the server's certificate (PEM) for --ca-file")
	fl.IntVar(&opts.MaxMgmtCerts, "max-management-certs", 100, "management certificates a subscription may hold")
	fl.DurationVar(&opts.OperationDelay, "operation-delay", 2*time.Second, "how long service-certificate and VPN gateway operations stay InProgress")
	fl.StringArrayVar(&opts.APIM, "apim", []string{"azcert-rg/azcert-apim"}, "API Management service RESOURCE-GROUP/NAME served through the ARM endpoints (repeatable)")
	fl.StringArrayVar(&opts.EntraApps, "entra-app", nil, "Entra ID application NAME with its service principal, served through Microsoft Graph (repeatable)")
	fl.StringArrayVar(&opts.VPNGateways, "vpn-gateway", nil, "VPN gateway RESOURCE-GROUP/NAME served through the ARM endpoints (repeatable)")
	fl.StringVar(&opts.ARMToken, "arm-token", "", "the bearer token ARM requests must carry (default: a random one, printed at start)")
	_ = cmd.MarkFlagFilename("trust", cmdutil.CertExts...)
	_ = cmd.MarkFlagFilename("state", "json")
	fl.StringArrayVar(&opts.Faults, "fault", nil, "inject a fault: throttle:N, internal:N, reset:N, delay:D:N, redirect:N (repeatable)")
	return cmd
}

// Run runs `azcert emulator` until its context ends or a signal stops it.
func Run(opts *Options) error {
	// Catch signals first, so one that arrives while starting still stops
	// the server cleanly.
	ctx, stop := signal.NotifyContext(opts.Ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := start(opts)
	if err != nil {
		return err
	}
	if err := printInfo(opts, srv); err != nil {
		_ = srv.Close()
		return err
	}
	<-ctx.Done()
	stop()
	opts.IO.Notef("azcert emulator: stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stopping the emulator: %w", err)
	}
	return nil
}

// config checks the flags and turns them into the emulator's
// configuration and faults.
func config(opts *Options) (azure.Config, []emulator.Fault, error) {
	if opts.MaxMgmtCerts < 1 {
		return azure.Config{}, nil, cmdutil.UsageErrorf("--max-management-certs must be at least 1")
	}
	if opts.OperationDelay < 0 {
		return azure.Config{}, nil, cmdutil.UsageErrorf("--operation-delay must not be negative")
	}
	// The names are checked here too, so that an error names its flag.
	for _, g := range opts.VPNGateways {
		if _, _, err := network.ParseGateway(g); err != nil {
			return azure.Config{}, nil, cmdutil.UsageErrorf("--vpn-gateway: %w", err)
		}
	}
	for _, name := range opts.EntraApps {
		if err := graph.CheckAppName(name); err != nil {
			return azure.Config{}, nil, cmdutil.UsageErrorf("--entra-app: %w", err)
		}
	}
	cfg := azure.Config{
		Listen:             opts.Listen,
		Subscription:       opts.Subscription,
		Services:           opts.Services,
		MaxManagementCerts: opts.MaxMgmtCerts,
		OperationDelay:     opts.OperationDelay,
		StatePath:          opts.State,
		APIMServices:       opts.APIM,
		ARMToken:           opts.ARMToken,
		EntraApps:          opts.EntraApps,
		VPNGateways:        opts.VPNGateways,
	}
	if opts.Factory.Debug {
		cfg.Logf = func(format string, a ...any) {
			fmt.Fprintf(opts.IO.ErrOut, "azcert: debug: "+format+"\n", a...)
		}
	}
	var faults []emulator.Fault
	for _, spec := range opts.Faults {
		ft, err := emulator.ParseFault(spec)
		if err != nil {
			return cfg, nil, &cmdutil.UsageError{Err: fmt.Errorf("--fault: %w", err)}
		}
		faults = append(faults, ft)
	}
	for _, name := range opts.Trust {
		b, err := input.Load(opts.Ctx, opts.Factory, name, "", 0)
		if err != nil {
			return cfg, nil, err
		}
		cfg.Trust = append(cfg.Trust, b.Cert)
	}
	return cfg, faults, nil
}

// start starts the emulator and writes its CA file.
func start(opts *Options) (*azure.Emulator, error) {
	cfg, faults, err := config(opts)
	if err != nil {
		return nil, err
	}
	srv, err := azure.New(cfg)
	if err != nil {
		var se *emulator.StateError
		if errors.As(err, &se) {
			return nil, &cmdutil.InputError{Err: err}
		}
		return nil, &cmdutil.UsageError{Err: err}
	}
	if err := srv.Start(); err != nil {
		return nil, cmdutil.InputErrorf("cannot listen on %s: %w", opts.Listen, unwrapNetErr(err))
	}
	for _, ft := range faults {
		srv.Inject(ft)
	}
	// The CA file is written once the port is ours, so a second emulator
	// that cannot listen never replaces the CA file of the first.
	if err := srv.WriteCA(opts.CAOut); err != nil {
		_ = srv.Close()
		return nil, err
	}
	return srv, nil
}

// printInfo prints how to reach the emulator. Text: one "key: value" per
// line, keys named like the client flags they feed; JSON: the same in
// camelCase (docs/json-output.md).
func printInfo(opts *Options, srv *azure.Emulator) error {
	info := newInfo(opts, srv)
	if opts.Factory.JSON() {
		if err := cmdutil.WriteJSON(opts.IO.Out, info); err != nil {
			return err
		}
	} else {
		printText(opts.IO.Out, info)
	}
	if flusher, ok := opts.IO.Out.(interface{ Sync() error }); ok {
		_ = flusher.Sync()
	}
	opts.IO.Notef("azcert emulator: serving subscription %s at %s; Ctrl-C stops it", srv.Subscription, srv.URL)
	return nil
}

// info is what the emulator prints (docs/json-output.md).
type info struct {
	URL           string     `json:"url"`
	Subscription  string     `json:"subscription"`
	CAFile        string     `json:"caFile"`
	ARMEndpoint   string     `json:"armEndpoint"`
	ARMToken      string     `json:"armToken"`
	KeyVaultURL   string     `json:"keyvaultUrl"`
	GraphEndpoint string     `json:"graphEndpoint"`
	Tenant        string     `json:"tenant"`
	VPNGateways   []string   `json:"vpnGateways"`
	EntraApps     []entraApp `json:"entraApps"`
}

// entraApp is one Entra ID application with its ids.
type entraApp struct {
	Name               string `json:"name"`
	AppID              string `json:"appId"`
	ObjectID           string `json:"objectId"`
	ServicePrincipalID string `json:"servicePrincipalId"`
}

func newInfo(opts *Options, srv *azure.Emulator) info {
	caPath, _ := filepath.Abs(opts.CAOut)
	in := info{URL: srv.URL, Subscription: srv.Subscription, CAFile: caPath, ARMEndpoint: srv.URL, ARMToken: srv.APIM.Token(),
		KeyVaultURL: srv.URL, GraphEndpoint: srv.URL, Tenant: srv.Graph.Tenant(), EntraApps: []entraApp{},
		VPNGateways: srv.Network.Gateways()}
	for _, a := range srv.Graph.Apps() {
		in.EntraApps = append(in.EntraApps, entraApp{Name: a.Name, AppID: a.AppID, ObjectID: a.ObjectID, ServicePrincipalID: a.ServicePrincipalID})
	}
	return in
}

// printText writes one "key: value" per line, keys named like the client
// flags they feed; the lines of the first releases come first, unchanged.
func printText(w io.Writer, in info) {
	fmt.Fprintf(w, "url: %s\nsubscription: %s\nca-file: %s\narm-endpoint: %s\narm-token: %s\nkeyvault-url: %s\n",
		in.URL, in.Subscription, in.CAFile, in.ARMEndpoint, in.ARMToken, in.KeyVaultURL)
	fmt.Fprintf(w, "graph-endpoint: %s\ntenant: %s\n", in.GraphEndpoint, in.Tenant)
	for _, a := range in.EntraApps {
		fmt.Fprintf(w, "entra-app: %s app-id=%s object-id=%s service-principal-id=%s\n", a.Name, a.AppID, a.ObjectID, a.ServicePrincipalID)
	}
	for _, g := range in.VPNGateways {
		fmt.Fprintf(w, "vpn-gateway: %s\n", g)
	}
}

func unwrapNetErr(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
