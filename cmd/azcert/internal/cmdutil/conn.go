package cmdutil

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/graph"
	"github.com/azcert/azcert/pkg/keyvault"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

// ConnFlags are the connection flags every Azure command has, whichever
// service it talks to.
type ConnFlags struct {
	Cloud    string
	Endpoint string // the service's base URL; overrides Cloud
	CAFile   string
	Timeout  time.Duration
	Retries  int
	// CloudChanged reports that --cloud was given (a publish settings file's
	// endpoint yields to it).
	CloudChanged bool
}

// AddConnFlags adds the connection flags; endpointFlag names the flag of
// the base URL (--endpoint, --arm-endpoint) and endpointHelp says what it is.
func AddConnFlags(cmd *cobra.Command, o *ConnFlags, endpointFlag, endpointHelp, timeoutHelp, retriesHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Cloud, "cloud", "public", "Azure cloud: public, china or usgov")
	empty := "the URL is empty; leave the flag out for the endpoint of --cloud"
	if endpointFlag == "vault" {
		empty = "empty; give the vault's name or URL"
	}
	// Given empty, the endpoint would silently be the one of --cloud, and
	// a token meant for an emulator would go there.
	fl.Var(NonEmpty(&o.Endpoint, empty), endpointFlag, endpointHelp)
	fl.StringVar(&o.CAFile, "ca-file", "", "extra PEM CA certificates to trust for the endpoint (e.g. the emulator's)")
	fl.DurationVar(&o.Timeout, "timeout", 2*time.Minute, timeoutHelp)
	fl.IntVar(&o.Retries, "retries", 4, retriesHelp)
	_ = cmd.RegisterFlagCompletionFunc("cloud", cobra.FixedCompletions([]string{"public", "china", "usgov"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("ca-file", "pem", "crt")
}

// NonEmpty is a string flag that, given, may not be empty (an empty
// value would silently mean the flag's absence); empty is its error, e.g.
// "the URL is empty; leave the flag out for the endpoint of --cloud". An
// empty AZCERT_* variable counts as unset and never reaches it.
func NonEmpty(p *string, empty string) pflag.Value { return nonEmpty{p: p, empty: empty} }

type nonEmpty struct {
	p     *string
	empty string
}

func (v nonEmpty) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v nonEmpty) Type() string { return "string" }
func (v nonEmpty) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New(v.empty)
	}
	*v.p = s
	return nil
}

// WithTimeout bounds a command's calls by --timeout.
func (o *ConnFlags) WithTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.Timeout)
}

// MgmtFlags are the flags of the Service Management commands.
type MgmtFlags struct {
	Conn            ConnFlags
	Subscription    string
	AuthCert        string
	AuthPassword    string
	PublishSettings string
}

// AddMgmtFlags adds the Service Management connection flags.
func AddMgmtFlags(cmd *cobra.Command, o *MgmtFlags, passwordSyntax string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Subscription, "subscription", "", "subscription ID (also AZCERT_SUBSCRIPTION or the publish settings file)")
	fl.StringVar(&o.AuthCert, "auth-cert", "", "management certificate with its key (.pfx, or PEM with the key) that authenticates the calls")
	fl.StringVar(&o.AuthPassword, "auth-password", "", "password source for --auth-cert: "+passwordSyntax)
	fl.StringVar(&o.PublishSettings, "publish-settings", "", "a .publishsettings file: subscription, endpoint and management certificate in one")
	AddConnFlags(cmd, &o.Conn, "endpoint", "Service Management base URL (overrides --cloud; e.g. the emulator's URL)",
		"overall time limit, retries and waiting included", "retries of a request after a network error, throttling or a 5xx answer")
	_ = cmd.MarkFlagFilename("auth-cert", "pfx", "p12", "pem")
	_ = cmd.MarkFlagFilename("publish-settings", "publishsettings")
}

// MgmtSession is a connected Service Management client and what it is
// connected as.
type MgmtSession struct {
	Client       *mgmtclient.Client
	Subscription string
	Endpoint     string
	AuthThumb    string
}

// APIMFlags are the flags of the API Management commands.
type APIMFlags struct {
	Conn          ConnFlags
	Subscription  string
	ResourceGroup string
	Service       string
	AccessToken   string
}

// AddAPIMFlags adds the API Management connection flags.
func AddAPIMFlags(cmd *cobra.Command, o *APIMFlags, passwordSyntax string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Subscription, "subscription", "", "subscription ID (also AZCERT_SUBSCRIPTION)")
	fl.StringVar(&o.ResourceGroup, "resource-group", "", "resource group of the API Management service")
	fl.StringVar(&o.Service, "service", "", "API Management service name")
	fl.StringVar(&o.AccessToken, "access-token", "", "bearer token source ("+passwordSyntax+"); without it the Azure credential chain is used (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)")
	AddConnFlags(cmd, &o.Conn, "arm-endpoint", "Azure Resource Manager URL (overrides --cloud; e.g. the emulator's URL)",
		"overall time limit, retries included", "retries after a network error, throttling (429) or a 5xx answer")
}

// APIMSession is a connected API Management client.
type APIMSession struct {
	Client *apimclient.Client
	// Where names the service in messages: "API Management rg/name".
	Where string
}

// KeyVaultFlags are the flags of the Key Vault commands.
type KeyVaultFlags struct {
	// Conn.Endpoint is --vault: the vault's name or URL.
	Conn        ConnFlags
	AccessToken string
}

// AddKeyVaultFlags adds the Key Vault connection flags.
func AddKeyVaultFlags(cmd *cobra.Command, o *KeyVaultFlags, passwordSyntax string) {
	cmd.Flags().StringVar(&o.AccessToken, "access-token", "", "bearer token source ("+passwordSyntax+"); without it the Azure credential chain is used (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)")
	AddConnFlags(cmd, &o.Conn, "vault", "the vault: its name (with --cloud) or its URL, e.g. https://contoso-kv.vault.azure.net or the emulator's keyvault-url",
		"overall time limit, retries included", "retries after a network error, throttling (429) or a 5xx answer")
}

// KeyVaultSession is a connected Key Vault client.
type KeyVaultSession struct {
	Client *keyvault.Client
	// Where names the vault in messages: "vault https://contoso-kv.vault.azure.net".
	Where string
}

// EntraFlags are the flags of the Entra ID commands that call Microsoft
// Graph on an application or its service principal.
type EntraFlags struct {
	// Conn.Endpoint is --graph-endpoint: Microsoft Graph's base URL.
	Conn        ConnFlags
	AccessToken string
	// App is --app: the application's app id (client id) or object id.
	App string
	// ServicePrincipal is --service-principal: the app's service
	// principal in this tenant rather than the application object.
	ServicePrincipal bool
}

// AddEntraFlags adds the Microsoft Graph connection flags and --app.
func AddEntraFlags(cmd *cobra.Command, o *EntraFlags, passwordSyntax string) {
	fl := cmd.Flags()
	fl.StringVar(&o.App, "app", "", "the application: its app id (client id) or its object id")
	fl.BoolVar(&o.ServicePrincipal, "service-principal", false, "act on the app's service principal (enterprise application) instead of the application object")
	fl.StringVar(&o.AccessToken, "access-token", "", "bearer token source for Microsoft Graph ("+passwordSyntax+"); without it the Azure credential chain is used (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)")
	AddConnFlags(cmd, &o.Conn, "graph-endpoint", "Microsoft Graph URL (overrides --cloud; e.g. the emulator's graph-endpoint)",
		"overall time limit, retries included", "retries after a network error, throttling (429) or a 5xx answer")
}

// GraphSession is a connected Microsoft Graph client.
type GraphSession struct {
	Client *graph.Client
	// Where names Graph in messages: "Microsoft Graph https://graph.microsoft.com".
	Where string
}

// NetworkFlags are the flags of the VPN gateway commands.
type NetworkFlags struct {
	Conn         ConnFlags
	Subscription string
	// Gateway is --gateway: RG/NAME, or the gateway's ARM resource id.
	Gateway     string
	AccessToken string
}

// AddNetworkFlags adds the VPN gateway connection flags and --gateway.
func AddNetworkFlags(cmd *cobra.Command, o *NetworkFlags, passwordSyntax string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Gateway, "gateway", "", "the VPN gateway: RESOURCE-GROUP/NAME, or its resource id /subscriptions/.../virtualNetworkGateways/NAME")
	fl.StringVar(&o.Subscription, "subscription", "", "subscription ID (also AZCERT_SUBSCRIPTION, or the one in --gateway's resource id)")
	fl.StringVar(&o.AccessToken, "access-token", "", "bearer token source ("+passwordSyntax+"); without it the Azure credential chain is used (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)")
	AddConnFlags(cmd, &o.Conn, "arm-endpoint", "Azure Resource Manager URL (overrides --cloud; e.g. the emulator's URL)",
		"overall time limit, retries and waiting for the gateway's update included", "retries after a network error, throttling (429) or a 5xx answer")
	// A gateway's update takes minutes, sometimes tens of them.
	o.Conn.Timeout = NetworkTimeout
	fl.Lookup("timeout").DefValue = NetworkTimeout.String()
}

// NetworkTimeout is the default --timeout of the VPN gateway commands.
const NetworkTimeout = 30 * time.Minute

// NetworkSession is a connected VPN gateway client and the gateway the
// command works on.
type NetworkSession struct {
	Client        *network.Client
	ResourceGroup string
	Name          string
	// Where names the gateway in messages: "VPN gateway rg/name".
	Where string
}
