package keyvault

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/export"
	kv "github.com/azcert/azcert/pkg/keyvault"
)

// ImportOptions is what `azcert keyvault import` runs with.
type ImportOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Vault      cmdutil.KeyVaultFlags
	File       string
	Name       string
	InPassword string
	Tags       map[string]string
	Disabled   bool
}

const importLong = `Import a certificate with its private key into a key vault: a .pfx (with
its password) or a PEM file that holds the certificate and the key. The
answer names the certificate's id (versioned), its secret id (sid: what
App Service, Application Gateway and Cloud Services (extended support)
read), its key id, x5t and thumbprint, and its validity. Each import of a
name adds a version; a certificate that is the name's current version
already is not imported again (a rerun is harmless, status "already
present"). An import is never sent twice: after a failure worth retrying
(the network, 429, 5xx) azcert looks at the current version before it
tries again, up to --retries times.

What Key Vault would refuse is refused here first, before any request: a
wrong password, a certificate without its private key, an RSA key under
2048 bits, a name other than 1-127 letters, digits and hyphens. The name
defaults to the certificate's first name with dots as hyphens
(contoso.net -> contoso-net).`

const importExample = `  azcert keyvault import contoso.net.pfx --vault contoso-kv --in-password env:PFX_PW

  # A PEM certificate and key, under a name of your own, with tags
  azcert keyvault import site.pem --vault https://contoso-kv.vault.azure.net --name web-tls --tags env=prod,team=web`

// NewCmdImport makes `azcert keyvault import`. runF, if not nil, replaces
// ImportRun (tests check the options with it).
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "import <file> --vault <name|url> [--name <name>]",
		Short:             "Import a .pfx or PEM certificate with its key into a key vault",
		Long:              importLong,
		Example:           importExample,
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give one .pfx or PEM file to import")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.File = cmd.Context(), args[0]
			opts.Vault.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return ImportRun(opts)
		},
	}
	cmdutil.AddKeyVaultFlags(cmd, &opts.Vault, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "the certificate's name in the vault (default: its first name, dots as hyphens)")
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for the .pfx: "+secret.InSyntax)
	// --password, as the Key Vault documentation names the .pfx password.
	fl.StringVar(&opts.InPassword, "password", "", "the same as --in-password")
	fl.StringToStringVar(&opts.Tags, "tags", nil, "tags, k=v (comma-separated or repeated; at most 15)")
	fl.BoolVar(&opts.Disabled, "disabled", false, "import the certificate disabled")
	return cmd
}

// ImportRun runs `azcert keyvault import`.
func ImportRun(opts *ImportOptions) error {
	if err := input.CheckStdin([]string{opts.File}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword}, input.PasswordFlag{Name: "access-token", Spec: opts.Vault.AccessToken}); err != nil {
		return err
	}
	if len(opts.Tags) > 15 {
		return cmdutil.UsageErrorf("--tags: %d tags; Key Vault takes at most 15", len(opts.Tags))
	}
	params, cert, err := importParams(opts)
	if err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		name = DefaultName(cert)
	}
	if err := checkName(name); err != nil {
		return err
	}
	sess, err := opts.Factory.KeyVault(opts.Ctx, &opts.Vault)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Vault.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	c, status, err := ImportOnce(ctx, sess, name, params, export.FormatThumbprint(export.Thumbprint(cert.Raw, export.SHA1), export.SHA1, export.FormatAzure), opts.Vault.Conn.Retries)
	if err != nil {
		return vaultError(fmt.Errorf("importing %s into %s: %w", opts.File, sess.Where, err), name, opts.Vault.Conn.Endpoint)
	}
	if status == "already present" {
		opts.IO.Notef("%s is already the current version of %s in %s; nothing imported", opts.File, c.Name, sess.Where)
	} else {
		opts.IO.Notef("imported %s into %s as %s (version %s)", opts.File, sess.Where, c.Name, c.Version)
	}
	return printCert(opts.Factory, resultOf(c, status))
}

// ImportOnce imports the certificate unless it is the current version of
// the name already (a rerun is harmless), and never twice: an import is
// not retried blindly, because an import whose answer was lost (a reset,
// a timeout) was carried out. After a failure worth retrying (the network,
// 429, 5xx) it looks at the current version first, and retries only if
// the certificate is not there, at most retries times, after the wait the
// answer's Retry-After asked for (else 1 s, doubling).
func ImportOnce(ctx context.Context, sess *cmdutil.KeyVaultSession, name string, p kv.ImportParams, thumb string, retries int) (*kv.Certificate, string, error) {
	current := func() *kv.Certificate {
		if c, err := sess.Client.Get(ctx, name, ""); err == nil && strings.EqualFold(c.Thumbprint, thumb) {
			return c
		}
		return nil
	}
	if c := current(); c != nil {
		return c, "already present", nil
	}
	once := policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1})
	for attempt := 0; ; attempt++ {
		c, err := sess.Client.Import(once, name, p)
		if err == nil {
			return c, "imported", nil
		}
		if !retriable(err) || attempt >= retries {
			return nil, "", err
		}
		if c := current(); c != nil {
			return c, "imported", nil
		}
		wait := min(time.Second<<attempt, 30*time.Second)
		var e *kv.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			wait = min(e.RetryAfter, time.Minute) // as the answer asked
		}
		select {
		case <-ctx.Done():
			return nil, "", err
		case <-time.After(wait):
		}
	}
}

// retriable reports a failure another attempt may not meet: no answer, or
// throttling or a server error.
func retriable(err error) bool {
	var u *kv.UnavailableError
	var e *kv.Error
	switch {
	case errors.As(err, new(*azhttp.TooLargeError)):
		return false
	case errors.As(err, &u):
		return true
	case errors.As(err, &e):
		return e.Temporary()
	}
	return false
}

// importParams reads the file, refuses what Key Vault would refuse, and
// makes what Import sends: the .pfx as it is, or the PEM re-encoded with
// the key in PKCS#8 (the only PEM key Key Vault reads).
func importParams(opts *ImportOptions) (kv.ImportParams, *x509.Certificate, error) {
	l, err := input.LoadFile(opts.Factory, opts.File, secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return kv.ImportParams{}, nil, err
	}
	b := l.Bundle
	if b.Key == nil {
		return kv.ImportParams{}, nil, cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key; Key Vault imports a certificate with its key", opts.File),
			"give the .pfx, or a PEM file with the certificate and its key (azcert export --pem writes one)")
	}
	if typ, bits := export.KeyInfo(b.Cert); typ != "RSA" || bits < 2048 {
		return kv.ImportParams{}, nil, cmdutil.InputErrorf("%s: the key is %s %d; azcert imports RSA keys of at least 2048 bits", opts.File, typ, bits)
	}
	if opts.Factory.Now().After(b.Cert.NotAfter) {
		opts.IO.Warnf("%s expired on %s; Key Vault imports it, but no service will use it", opts.File, b.Cert.NotAfter.UTC().Format("2006-01-02"))
	}
	p := kv.ImportParams{Tags: opts.Tags}
	if opts.Disabled {
		disabled := false
		p.Enabled = &disabled
	}
	if b.Format == export.FormatPKCS12 {
		p.Value, p.Password, p.ContentType = l.Data, l.Password, kv.ContentTypePKCS12
		return p, b.Cert, nil
	}
	key, err := export.KeyPEM(b.Key)
	if err != nil {
		return kv.ImportParams{}, nil, err
	}
	p.Value, p.ContentType = append(key, export.CertPEM(append([]*x509.Certificate{b.Cert}, b.Chain...)...)...), kv.ContentTypePEM
	return p, b.Cert, nil
}

// DefaultName is the vault name of a certificate: its first DNS name (else
// its common name) with every character Key Vault does not take as a
// hyphen, "*" as "wildcard".
func DefaultName(c *x509.Certificate) string {
	n := c.Subject.CommonName
	if len(c.DNSNames) > 0 {
		n = c.DNSNames[0]
	}
	n = strings.ReplaceAll(n, "*", "wildcard")
	n = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, n)
	n = strings.Trim(n, "-")
	if len(n) > 127 {
		n = n[:127]
	}
	if n == "" {
		n = "certificate"
	}
	return n
}
