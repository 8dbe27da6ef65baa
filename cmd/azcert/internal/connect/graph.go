package connect

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

// installEntra sets the Factory's Microsoft Graph and sign-in
// constructors, unless a test has set them.
func installEntra(f *cmdutil.Factory) {
	if f.Graph == nil {
		f.Graph = func(ctx context.Context, o *cmdutil.EntraFlags) (*cmdutil.GraphSession, error) {
			return Graph(ctx, f, o)
		}
	}
	if f.SignIn == nil {
		f.SignIn = func(ctx context.Context, conn *cmdutil.ConnFlags, o entra.SignInOptions) (*entra.Token, error) {
			return SignIn(ctx, f, conn, o)
		}
	}
}

// GraphEndpoint is --graph-endpoint, else the Graph of --cloud. An
// unknown --cloud is refused either way.
func GraphEndpoint(o *cmdutil.ConnFlags) (string, error) {
	u, err := graph.EndpointFor(o.Cloud)
	if err != nil {
		return "", &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
	}
	if o.Endpoint != "" {
		return strings.TrimRight(o.Endpoint, "/"), nil
	}
	return u, nil
}

// Graph validates the Entra ID flags, finds a token credential (for the
// scope {graph-endpoint}/.default, graph.Scope) and builds the Microsoft
// Graph client.
func Graph(ctx context.Context, f *cmdutil.Factory, o *cmdutil.EntraFlags) (*cmdutil.GraphSession, error) {
	if o.App == "" {
		return nil, cmdutil.UsageErrorf("--app is required: the application's app id (client id) or object id (or set AZCERT_APP)")
	}
	if !graph.ValidID(o.App) {
		return nil, cmdutil.UsageErrorf("--app %q is not an app id or object id (a GUID)", o.App)
	}
	endpoint, cred, hc, err := bearerConnection(f, &o.Conn, o.AccessToken, func() (string, error) { return GraphEndpoint(&o.Conn) })
	if err != nil {
		return nil, err
	}
	opts := graph.Options{Endpoint: endpoint, Credential: cred, Transport: hc, MaxRetries: maxRetries(&o.Conn)}
	opts.OnRetry, opts.Trace = RetryNote(f), trace(f)
	if f.GraphOptions != nil {
		f.GraphOptions(&opts)
	}
	c, err := graph.New(opts)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	return &cmdutil.GraphSession{Client: c, Where: "Microsoft Graph " + c.Endpoint()}, nil
}

// SignInAuthority is the authority of a sign-in: conn.Endpoint
// (--authority), else the one of --cloud.
func SignInAuthority(conn *cmdutil.ConnFlags) (string, error) {
	a, err := entra.AuthorityFor(conn.Cloud)
	if err != nil {
		return "", &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
	}
	if conn.Endpoint != "" {
		u, err := url.Parse(conn.Endpoint)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || azhttp.BadPort(u) {
			return "", cmdutil.UsageErrorf("--authority %q: want an https:// URL, e.g. https://login.microsoftonline.com", conn.Endpoint)
		}
		return strings.TrimRight(conn.Endpoint, "/"), nil
	}
	return a, nil
}

// SignIn asks the token endpoint of o.Authority (else conn's: --authority,
// or --cloud's) for a token with o's certificate, through conn's
// transport (--ca-file), retries, retry notes and the --debug trace (which
// never shows the client assertion or the token). Without o.Scope it asks
// for the Microsoft Graph of --cloud.
func SignIn(ctx context.Context, f *cmdutil.Factory, conn *cmdutil.ConnFlags, o entra.SignInOptions) (*entra.Token, error) {
	if err := checkConn(conn); err != nil {
		return nil, err
	}
	if o.Authority == "" {
		a, err := SignInAuthority(conn)
		if err != nil {
			return nil, err
		}
		o.Authority = a
	}
	if o.Scope == "" {
		g, err := graph.EndpointFor(conn.Cloud)
		if err != nil {
			return nil, &cmdutil.UsageError{Err: fmt.Errorf("--cloud: %w", err)}
		}
		o.Scope = graph.Scope(g)
	}
	hc, err := bearerClient(f, conn)
	if err != nil {
		return nil, err
	}
	o.Transport, o.MaxRetries = hc, maxRetries(conn)
	o.OnRetry, o.Trace = RetryNote(f), trace(f)
	if o.Now == nil {
		o.Now = f.Now
	}
	if f.SignInOptions != nil {
		f.SignInOptions(&o)
	}
	ctx, cancel := conn.WithTimeout(ctx)
	defer cancel()
	return entra.SignIn(ctx, o)
}
