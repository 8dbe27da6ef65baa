package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/export"
)

// apimOptions are the flags the API Management commands share.
type apimOptions struct {
	subscription  string
	resourceGroup string
	service       string
	accessToken   string
	armEndpoint   string
	cloud         string
	caFile        string
	timeout       time.Duration
	retries       int
}

func addAPIMFlags(cmd *cobra.Command, o *apimOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.subscription, "subscription", "", "subscription ID (also AZCERT_SUBSCRIPTION)")
	fl.StringVar(&o.resourceGroup, "resource-group", "", "resource group of the API Management service")
	fl.StringVar(&o.service, "service", "", "API Management service name")
	fl.StringVar(&o.accessToken, "access-token", "", "bearer token source ("+inPasswordSyntax+"); without it the Azure credential chain is used (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)")
	fl.StringVar(&o.armEndpoint, "arm-endpoint", "", "Azure Resource Manager URL (overrides --cloud; e.g. the emulator's URL)")
	fl.StringVar(&o.cloud, "cloud", "public", "Azure cloud: public, china or usgov")
	fl.StringVar(&o.caFile, "ca-file", "", "extra PEM CA certificates to trust (e.g. the emulator's)")
	fl.DurationVar(&o.timeout, "timeout", 2*time.Minute, "overall time limit, retries included")
	fl.IntVar(&o.retries, "retries", 4, "retries after a network error, throttling (429) or a 5xx answer")
	_ = cmd.RegisterFlagCompletionFunc("cloud", cobra.FixedCompletions([]string{"public", "china", "usgov"}, cobra.ShellCompDirectiveNoFileComp))
}

func newAPIMCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apim <command>",
		Short: "API Management client certificates (upload, list, delete) through Azure Resource Manager",
		Long: `Manage the client certificates an API Management service presents to back ends
for mutual TLS, through Azure Resource Manager.

Authentication: --access-token SRC (a bearer token, e.g. env:TOKEN or from
'az account get-access-token --query accessToken -o tsv'), or else the Azure
credential chain: environment variables (AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload identity,
managed identity, the Azure CLI ('az login') and the Azure Developer CLI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("give a subcommand: azcert apim upload, list or delete")
		},
	}
	cmd.AddCommand(newAPIMUploadCmd(f), newAPIMListCmd(f), newAPIMDeleteCmd(f))
	return cmd
}

// apimSession is a connected API Management client.
type apimSession struct {
	client *apimclient.Client
	where  string
}

func (f *factory) connectAPIM(cmd *cobra.Command, o *apimOptions) (*apimSession, error) {
	for flag, v := range map[string]string{"subscription": o.subscription, "resource-group": o.resourceGroup, "service": o.service} {
		if v == "" {
			return nil, usageErrorf("--%s is required", flag)
		}
	}
	if o.timeout <= 0 {
		return nil, usageErrorf("--timeout must be positive")
	}
	if o.retries < 0 || o.retries > 20 {
		return nil, usageErrorf("--retries must be between 0 and 20")
	}
	endpoint := o.armEndpoint
	if endpoint == "" {
		u, err := apimclient.EndpointFor(o.cloud)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cloud: %w", err)}
		}
		endpoint = u
	}
	var cred azcore.TokenCredential
	if o.accessToken != "" {
		tok, err := f.resolvePassword(passwordRequest{flag: "access-token", spec: o.accessToken, envVar: "AZCERT_ACCESS_TOKEN", purpose: "the access token"})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(tok.value) == "" {
			return nil, usageErrorf("--access-token: the token is empty")
		}
		cred = apimclient.StaticToken(strings.TrimSpace(tok.value))
	} else if v, ok := f.setting("AZCERT_ACCESS_TOKEN"); ok {
		cred = apimclient.StaticToken(strings.TrimSpace(v))
	} else {
		c, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, usageErrorf("the Azure credential chain cannot start: %s", oneLine(err.Error()))
		}
		cred = c
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
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = roots
	retries := o.retries
	if retries == 0 {
		retries = -1
	}
	opts := apimclient.Options{
		Endpoint: endpoint, Credential: cred, Transport: &http.Client{Transport: tr},
		Subscription: o.subscription, ResourceGroup: o.resourceGroup, Service: o.service, MaxRetries: retries,
	}
	opts.OnRetry = f.retryNote()
	if f.debug {
		opts.Trace = f.IO.ErrOut
	}
	if f.apimOptions != nil {
		f.apimOptions(&opts)
	}
	c, err := apimclient.New(opts)
	if err != nil {
		return nil, &usageError{err}
	}
	return &apimSession{client: c, where: fmt.Sprintf("API Management %s/%s", o.resourceGroup, o.service)}, nil
}

func apimContext(cmd *cobra.Command, o *apimOptions) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, o.timeout)
}

var credNameRE = regexp.MustCompile(`(\w+Credential): ([^\n]*)`)

// apimError turns credential failures into one line that says what was
// tried and how to log in, and adds hints to ARM errors users can act on.
func apimError(err error) error {
	var ce *apimclient.CredentialError
	if errors.As(err, &ce) {
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
			msg += ": " + oneLine(ce.Err.Error())
		}
		return withHint(&credentialError{errors.New(msg)},
			"log in with 'az login', set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or give --access-token")
	}
	var e *apimclient.Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusUnauthorized:
			return withHint(err, "the access token was refused: get a fresh one (az account get-access-token) or check --access-token")
		case e.StatusCode == http.StatusForbidden:
			return withHint(err, "the identity needs a role such as API Management Service Contributor on the service")
		case e.Code == "CertificateInUse" || strings.Contains(strings.ToLower(e.Message), "in use") || strings.Contains(strings.ToLower(e.Message), "referenced"):
			return withHint(err, "detach the certificate from the back ends (or APIs) that use it, then delete it")
		}
	}
	return err
}

// credentialError is "no token could be had": Azure refused us, exit 5.
type credentialError struct{ err error }

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type apimUploadOptions struct {
	apim       apimOptions
	file       string
	id         string
	inPassword string
	force      bool
}

func newAPIMUploadCmd(f *factory) *cobra.Command {
	opts := &apimUploadOptions{}
	cmd := &cobra.Command{
		Use:               "upload <file.pfx> --subscription <id> --resource-group <rg> --service <name> [--id <id>]",
		Short:             "Upload a client certificate (.pfx with its password)",
		ValidArgsFunction: fileArgs("pfx", "p12"),
		Long: `Upload a .pfx as a client certificate of the API Management service.

Before anything is sent the file is checked: a .pfx with its private key,
RSA of at least 2048 bits, not expired; its password is verified locally.
The id defaults to the certificate's name and the last eight characters of
its thumbprint (e.g. contoso-net-0A1B2C3D). Uploading the same certificate
again is success; replacing a certificate of that id that has another
thumbprint needs --force.`,
		Example: `  azcert apim upload backend-client.pfx --in-password env:PW \
    --subscription $SUB --resource-group rg-api --service contoso-apim

  # With a token from the Azure CLI
  azcert apim upload client.pfx --in-password env:PW --access-token env:TOKEN \
    --subscription $SUB --resource-group rg-api --service contoso-apim --id backend-client`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give exactly one .pfx file (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = args[0]
			return runAPIMUpload(f, cmd, opts)
		},
	}
	addAPIMFlags(cmd, &opts.apim)
	cmd.Flags().StringVar(&opts.id, "id", "", "certificate id in API Management (default: derived from the certificate)")
	cmd.Flags().StringVar(&opts.inPassword, "in-password", "", "password source for the .pfx: "+inPasswordSyntax)
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace a certificate of this id that has another thumbprint")
	return cmd
}

type apimResult struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Thumbprint string    `json:"thumbprint"`
	NotAfter   time.Time `json:"notAfter"`
	DaysLeft   int       `json:"daysLeft"`
	Status     string    `json:"status,omitempty"`
}

func runAPIMUpload(f *factory, cmd *cobra.Command, opts *apimUploadOptions) error {
	if err := checkStdin([]string{opts.file}, map[string]string{"in-password": opts.inPassword, "access-token": opts.apim.accessToken}); err != nil {
		return err
	}
	if opts.id != "" && !apimclient.ValidID(opts.id) {
		return usageErrorf("--id %q: 1-80 letters, digits and hyphens, starting with a letter and ending with a letter or digit", opts.id)
	}
	l, err := f.loadFile(opts.file, passwordRequest{flag: "in-password", spec: opts.inPassword, envVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return err
	}
	if l.bundle.Format != export.FormatPKCS12 {
		return withHint(inputErrorf("%s is not a .pfx; API Management takes the certificate with its key as a .pfx", opts.file),
			"make one from it and its PEM key file with azcert export's --pfx and --key, or give the .pfx that azcert new wrote")
	}
	if err := checkUploadable(opts.file, l.bundle, f.Now(), true); err != nil {
		return err
	}
	sess, err := f.connectAPIM(cmd, &opts.apim)
	if err != nil {
		return err
	}
	id := opts.id
	if id == "" {
		id = apimclient.DefaultID(l.bundle.Cert)
	}
	thumb := export.FormatThumbprint(export.Thumbprint(l.bundle.Cert.Raw, export.SHA1), export.SHA1, export.FormatAzure)
	ctx, cancel := apimContext(cmd, &opts.apim)
	defer cancel()

	ifMatch, status := "", "uploaded"
	existing, err := sess.client.Get(ctx, id)
	switch {
	case err == nil && strings.EqualFold(existing.Thumbprint, thumb):
		return f.printAPIM(*existing, "already present")
	case err == nil && !opts.force:
		return withHint(inputErrorf("%s already holds certificate %s (%s), not %s", id, existing.Thumbprint, existing.Subject, thumb),
			"give another --id, or --force to replace it")
	case err == nil:
		ifMatch, status = existing.ETag, "replaced"
		if ifMatch == "" {
			ifMatch = "*"
		}
	case !apimclient.IsNotFound(err):
		return apimError(fmt.Errorf("reading %s from %s: %w", id, sess.where, err))
	}
	cert, err := sess.client.CreateOrUpdate(ctx, id, l.data, l.password, ifMatch)
	if err != nil {
		// A create whose answer was lost is retried, and the retry is
		// refused because the first one made the certificate (412 without
		// If-Match, or 409): if the id now holds this certificate, the
		// upload succeeded.
		var ae *apimclient.Error
		if ifMatch == "" && errors.As(err, &ae) && (ae.StatusCode == http.StatusPreconditionFailed || ae.StatusCode == http.StatusConflict) {
			if made, gerr := sess.client.Get(ctx, id); gerr == nil && strings.EqualFold(made.Thumbprint, thumb) {
				return f.printAPIM(*made, status)
			}
		}
		return apimError(fmt.Errorf("uploading %s to %s: %w", opts.file, sess.where, err))
	}
	return f.printAPIM(*cert, status)
}

func (f *factory) printAPIM(c apimclient.Certificate, status string) error {
	r := apimResult{ID: c.ID, Subject: c.Subject, Thumbprint: c.Thumbprint, NotAfter: c.ExpirationDate.UTC(),
		DaysLeft: daysLeft(c.ExpirationDate, f.Now()), Status: status}
	if f.json() {
		return writeJSON(f, r)
	}
	_, err := fmt.Fprintf(f.IO.Out, "%s  %s  %s  expires %s  %s\n", printable(r.ID), printable(r.Thumbprint), printable(r.Subject), r.NotAfter.Format(time.DateOnly), status)
	return err
}

func daysLeft(t, now time.Time) int {
	return int(t.Sub(now).Round(24*time.Hour).Hours() / 24)
}

func newAPIMListCmd(f *factory) *cobra.Command {
	opts := &apimOptions{}
	cmd := &cobra.Command{
		Use:   "list --subscription <id> --resource-group <rg> --service <name>",
		Short: "List the client certificates of an API Management service",
		Example: `  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim
  azcert apim list --subscription $SUB --resource-group rg-api --service contoso-apim -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sess, err := f.connectAPIM(cmd, opts)
			if err != nil {
				return err
			}
			ctx, cancel := apimContext(cmd, opts)
			defer cancel()
			certs, err := sess.client.List(ctx)
			if err != nil {
				return apimError(fmt.Errorf("listing the certificates of %s: %w", sess.where, err))
			}
			rows := []apimResult{}
			for _, c := range certs {
				rows = append(rows, apimResult{ID: c.ID, Subject: c.Subject, Thumbprint: c.Thumbprint,
					NotAfter: c.ExpirationDate.UTC(), DaysLeft: daysLeft(c.ExpirationDate, f.Now())})
			}
			if f.json() {
				return writeJSON(f, rows)
			}
			if len(rows) == 0 {
				f.IO.notef("no certificates in %s", sess.where)
				return nil
			}
			w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSUBJECT\tTHUMBPRINT\tLAST4\tEXPIRES\tDAYS")
			for _, r := range rows {
				last4 := r.Thumbprint
				if len(last4) > 4 {
					last4 = last4[len(last4)-4:]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", printable(r.ID), printable(r.Subject), printable(r.Thumbprint), last4, r.NotAfter.Format(time.DateOnly), r.DaysLeft)
			}
			return w.Flush()
		},
	}
	addAPIMFlags(cmd, opts)
	return cmd
}

type apimDeleteOptions struct {
	apim   apimOptions
	target string
	yes    bool
}

func newAPIMDeleteCmd(f *factory) *cobra.Command {
	opts := &apimDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete {<id>|<thumbprint>} --subscription <id> --resource-group <rg> --service <name>",
		Short: "Delete a client certificate of an API Management service",
		Long: `Delete one client certificate, named by its id or its SHA-1 thumbprint. On a
terminal azcert asks first; without one, --yes is required. A certificate
that is not there is reported and exits 0. A certificate still used by a
back end cannot be deleted until it is detached; azcert says so.`,
		Example: `  azcert apim delete contoso-net-0A1B2C3D --subscription $SUB --resource-group rg-api --service contoso-apim --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give one certificate id or thumbprint (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.target = args[0]
			return runAPIMDelete(f, cmd, opts)
		},
	}
	addAPIMFlags(cmd, &opts.apim)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func runAPIMDelete(f *factory, cmd *cobra.Command, opts *apimDeleteOptions) error {
	if !opts.yes && !(f.IO.InTTY && f.IO.ErrTTY) {
		return usageErrorf("deleting needs confirmation: give --yes (there is no terminal to ask on)")
	}
	sess, err := f.connectAPIM(cmd, &opts.apim)
	if err != nil {
		return err
	}
	ctx, cancel := apimContext(cmd, &opts.apim)
	defer cancel()
	id := opts.target
	// A thumbprint, unless it is a valid id that is not 40 hex digits.
	if p, perr := export.ParseThumbprint(opts.target); perr == nil && len(p.Sum) == 20 && (!apimclient.ValidID(opts.target) || len(opts.target) == 40) {
		thumb := export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure)
		certs, err := sess.client.List(ctx)
		if err != nil {
			return apimError(fmt.Errorf("listing the certificates of %s: %w", sess.where, err))
		}
		var ids []string
		for _, c := range certs {
			if c.Thumbprint == thumb {
				ids = append(ids, printable(c.ID))
			}
		}
		switch len(ids) {
		case 0:
			return f.printDeleted("", thumb, "not present; nothing to delete", sess.where)
		case 1:
			id = ids[0]
		default:
			return usageErrorf("thumbprint %s is uploaded under several ids (%s); name one", thumb, strings.Join(ids, ", "))
		}
	} else if !apimclient.ValidID(id) {
		return usageErrorf("%q is neither a certificate id nor a SHA-1 thumbprint", opts.target)
	}
	if !opts.yes {
		fmt.Fprintf(f.IO.ErrOut, "Delete certificate %s from %s? [y/N] ", printable(id), sess.where)
		in, err := f.IO.stdin("the confirmation")
		if err != nil {
			return err
		}
		answer, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return usageErrorf("not deleted: the answer was not yes")
		}
	}
	deleted, err := sess.client.Delete(ctx, id, "*")
	if err != nil {
		return apimError(fmt.Errorf("deleting %s from %s: %w", id, sess.where, err))
	}
	status := "deleted"
	if !deleted {
		status = "not present; nothing to delete"
	}
	return f.printDeleted(id, "", status, sess.where)
}

// printDeleted reports an apim delete: by id, or by the thumbprint that
// matched no id.
func (f *factory) printDeleted(id, thumb, status, where string) error {
	if f.json() {
		return writeJSON(f, struct {
			ID         string `json:"id,omitempty"`
			Thumbprint string `json:"thumbprint,omitempty"`
			Status     string `json:"status"`
			From       string `json:"from"`
		}{id, thumb, status, where})
	}
	_, err := fmt.Fprintf(f.IO.Out, "%s  %s (%s)\n", printable(id+thumb), status, where)
	return err
}
