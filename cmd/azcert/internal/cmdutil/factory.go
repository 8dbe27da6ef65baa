package cmdutil

import (
	"context"
	"io"
	"time"

	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
	"github.com/azcert/azcert/pkg/keyvault"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

// Factory is what commands get from the outside world: the streams, the
// clock, the environment, the global options, and one constructor per
// Azure client. It holds fields only; main fills the constructors
// (cmd/azcert/internal/connect), and a test can hand a command a prepared
// client by setting one.
type Factory struct {
	IO        *IOStreams
	Now       func() time.Time
	LookupEnv func(string) (string, bool)
	// RandSource overrides crypto/rand for key generation in tests; nil in
	// production.
	RandSource io.Reader
	// Ctx, if set, is the context commands run in (tests cancel it to stop
	// a long-running command such as the emulator); nil means Background.
	Ctx context.Context

	// The global options, from the root command's flags.
	Output  string
	Config  string
	NoColor bool
	Quiet   bool
	Debug   bool
	// Started is set once cobra has parsed and validated the command line,
	// so errors before that are usage errors.
	Started bool

	// ServiceManagement connects to the Service Management API with a
	// command's connection flags. It sends nothing.
	ServiceManagement func(ctx context.Context, o *MgmtFlags) (*MgmtSession, error)
	// APIManagement connects to an API Management service through Azure
	// Resource Manager. It sends nothing.
	APIManagement func(ctx context.Context, o *APIMFlags) (*APIMSession, error)
	// KeyVault connects to a key vault's data plane. It sends nothing.
	KeyVault func(ctx context.Context, o *KeyVaultFlags) (*KeyVaultSession, error)

	// Graph connects to Microsoft Graph for an application's or service
	// principal's credentials. It sends nothing.
	Graph func(ctx context.Context, o *EntraFlags) (*GraphSession, error)
	// SignIn asks Entra ID's token endpoint for a token with a client
	// assertion, through the connection flags' transport (--ca-file),
	// retries and trace; o's other fields are the command's.
	SignIn func(ctx context.Context, conn *ConnFlags, o entra.SignInOptions) (*entra.Token, error)

	// MgmtOptions, APIMOptions and KeyVaultOptions, if set, adjust the clients' options
	// before they are built (tests shorten retry delays with them).
	MgmtOptions     func(*mgmtclient.Options)
	APIMOptions     func(*apimclient.Options)
	KeyVaultOptions func(*keyvault.Options)
	// GraphOptions and SignInOptions do the same for Microsoft Graph and
	// the token endpoint.
	GraphOptions  func(*graph.Options)
	SignInOptions func(*entra.SignInOptions)

	// Network connects to the VPN gateways of a subscription through Azure
	// Resource Manager (Microsoft.Network). It sends nothing.
	Network func(ctx context.Context, o *NetworkFlags) (*NetworkSession, error)
	// NetworkOptions, if set, adjusts the VPN gateway client's options
	// before it is built (tests shorten retry and poll delays with it).
	NetworkOptions func(*network.Options)
}

// Setting reads an AZCERT_* variable that stands in for a flag. One set to
// "" counts as unset, so CI templates that expand a missing value to
// nothing fall back to the next source.
func (f *Factory) Setting(k string) (string, bool) {
	v, _ := f.LookupEnv(k)
	return v, v != ""
}

// JSON reports whether -o json was asked for.
func (f *Factory) JSON() bool { return f.Output == "json" }

// Context is the context commands run in.
func (f *Factory) Context() context.Context {
	if f.Ctx == nil {
		return context.Background()
	}
	return f.Ctx
}
