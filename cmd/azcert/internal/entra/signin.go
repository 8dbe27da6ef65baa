package entra

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	entraid "github.com/azcert/azcert/pkg/entra"
)

// SignInOptions is what `azcert entra signin` runs with.
type SignInOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	// Conn.Endpoint is --authority.
	Conn       cmdutil.ConnFlags
	File       string
	InPassword string
	Tenant     string
	App        string
	Scope      string
}

const signinLong = `Sign in to Microsoft Entra ID as an application with its certificate, the
way a service or CI job does (OAuth 2.0 client credentials with a client
assertion signed by the certificate's key), to prove that the credential
works. It prints who signed in, for what scope and until when; never the
token.

FILE is the .pfx (or a PEM file with the key) of a certificate registered
with the application (azcert entra add). --tenant is the tenant id or one
of its domain names; --app the application (client) id. --scope defaults to
Microsoft Graph's .default (of --cloud). --authority overrides --cloud's
authority (https://login.microsoftonline.com), e.g. the emulator's URL.

When Entra ID refuses (an unregistered certificate, an expired credential,
an unknown app id or tenant), the error is its AADSTS message (exit 5) and
the hint says what to do.`

const signinExample = `  # Does the new certificate work? (the same check CI will make)
  azcert entra signin ci-app-2027.pfx --tenant contoso.onmicrosoft.com --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --in-password env:PFX_PW

  # For Azure Resource Manager instead of Graph, as JSON
  azcert entra signin ci-app.pfx --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --scope https://management.azure.com/.default -o json`

// NewCmdSignIn makes `azcert entra signin`. runF, if not nil, replaces
// SignInRun (tests check the options with it).
func NewCmdSignIn(f *cmdutil.Factory, runF func(*SignInOptions) error) *cobra.Command {
	opts := &SignInOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "signin <file.pfx> --tenant <tenant> --app <app-id> [--scope <scope>]",
		Short:             "Sign in to Entra ID as an application with its certificate",
		Long:              signinLong,
		Example:           signinExample,
		ValidArgsFunction: cmdutil.FileArgs("pfx", "p12", "pem"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give the .pfx (or PEM with the key) of the application's certificate")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.File = cmd.Context(), args[0]
			opts.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return SignInRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "the tenant: its id or one of its domain names")
	fl.StringVar(&opts.App, "app", "", "the application (client) id")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for the .pfx: "+secret.InSyntax)
	fl.StringVar(&opts.Scope, "scope", "", "the scope of the token, a resource's /.default (default: Microsoft Graph's)")
	cmdutil.AddConnFlags(cmd, &opts.Conn, "authority", "the Entra ID authority (overrides --cloud; e.g. the emulator's URL)",
		"overall time limit, retries included", "retries after a network error, throttling (429) or a 5xx answer")
	return cmd
}

// signinResult is what `azcert entra signin` prints.
type signinResult struct {
	Tenant     string    `json:"tenant"`
	AppID      string    `json:"appId"`
	Thumbprint string    `json:"thumbprint"`
	Scope      string    `json:"scope"`
	TokenType  string    `json:"tokenType"`
	ExpiresOn  time.Time `json:"expiresOn"`
}

// SignInRun runs `azcert entra signin`.
func SignInRun(opts *SignInOptions) error {
	if err := input.CheckStdin([]string{opts.File}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}); err != nil {
		return err
	}
	if opts.Tenant == "" {
		return cmdutil.UsageErrorf("--tenant is required: the tenant id or one of its domain names (or set AZCERT_TENANT)")
	}
	if opts.App == "" {
		return cmdutil.UsageErrorf("--app is required: the application (client) id (or set AZCERT_APP)")
	}
	if err := guid("app", opts.App); err != nil {
		return err
	}
	l, err := input.LoadFile(opts.Factory, opts.File, secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return err
	}
	b := l.Bundle
	signer, ok := b.Key.(crypto.Signer)
	if b.Key == nil || !ok {
		return cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key; signing in needs the certificate's key", opts.File),
			"give the .pfx, or a PEM file with the certificate and its key")
	}
	tok, err := opts.Factory.SignIn(opts.Ctx, &opts.Conn, entraid.SignInOptions{Tenant: opts.Tenant, ClientID: opts.App, Scope: opts.Scope, Key: signer, Cert: b.Cert})
	if err != nil {
		var ke *entraid.KeyError
		if errors.As(err, &ke) {
			return cmdutil.InputErrorf("%s: %w", opts.File, err)
		}
		var usage *cmdutil.UsageError
		var input *cmdutil.InputError
		if errors.As(err, &usage) || errors.As(err, &input) {
			return err // the connection flags: --authority, --cloud, --ca-file
		}
		err = fmt.Errorf("signing in as %s to tenant %s with %s: %w%s", opts.App, opts.Tenant, opts.File, err, tokenErrorIDs(err))
		var te *entraid.TokenError
		if errors.As(err, &te) && te.Has(700027) && te.Hint() != "" {
			// The certificate is not registered: say how azcert does it.
			return cmdutil.WithHint(err, "%s: azcert entra add <its .cer> --app %s registers it, and azcert entra list --app %s shows what is", te.Hint(), opts.App, opts.App)
		}
		return cmdutil.GraphHint(err)
	}
	r := signinResult{Tenant: opts.Tenant, AppID: opts.App, Thumbprint: thumbOf(b.Cert), Scope: tok.Scope, TokenType: tok.Type, ExpiresOn: tok.ExpiresOn.UTC()}
	if opts.Factory.JSON() {
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	opts.IO.Notef("signed in as %s to tenant %s with %s", opts.App, opts.Tenant, opts.File)
	line(opts.Factory, "tenant", r.Tenant)
	line(opts.Factory, "appId", r.AppID)
	line(opts.Factory, "thumbprint", r.Thumbprint)
	line(opts.Factory, "scope", r.Scope)
	line(opts.Factory, "tokenType", r.TokenType)
	line(opts.Factory, "expires", r.ExpiresOn.Format(time.RFC3339))
	return nil
}

// tokenErrorIDs is what identifies a refusal of the identity platform
// for Microsoft's support, when its message's first line does not say it:
// " (401 invalid_client, trace id ..., correlation id ...)"; "" for other
// errors.
func tokenErrorIDs(err error) string {
	var te *entraid.TokenError
	if !errors.As(err, &te) {
		return ""
	}
	msg := te.Error()
	ids := []string{strings.TrimSpace(fmt.Sprintf("%d %s", te.Status, te.Code))}
	if te.TraceID != "" && !strings.Contains(msg, te.TraceID) {
		ids = append(ids, "trace id "+te.TraceID)
	}
	if te.CorrelationID != "" && !strings.Contains(msg, te.CorrelationID) {
		ids = append(ids, "correlation id "+te.CorrelationID)
	}
	return " (" + strings.Join(ids, ", ") + ")"
}
