package asm

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/certs"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	cscfgcmd "github.com/azcert/azcert/cmd/azcert/internal/cscfg"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	kvcmd "github.com/azcert/azcert/cmd/azcert/internal/keyvault"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/cscfg"
	"github.com/azcert/azcert/pkg/export"
	kv "github.com/azcert/azcert/pkg/keyvault"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// RotateOptions is what `azcert rotate` runs with.
type RotateOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Mgmt       cmdutil.MgmtFlags // Mgmt.Conn.CloudChanged: --cloud was given
	Domains    []string
	Service    string
	Cscfg      string
	Name       string // the certificate's name in the .cscfg
	Role       string
	OutDir     string
	FileName   string
	Password   string
	KeySize    int
	Days       int
	PFXProfile string
	CerFormat  string
	PEM        bool
	DryRun     bool

	// KeyVault, for Cloud Services (extended support), is the vault the
	// certificate is imported into instead of an upload to a classic
	// cloud service; AccessToken its token source, VaultID the vault's
	// resource id for the osProfile.secrets fragment.
	KeyVault    string
	AccessToken string
	VaultID     string
}

const rotateLong = `Rotate the SSL certificate of a cloud service in one step:

  1. create a new key and certificate for the domains (<out-dir>/<domain>.pfx
     and .cer), or reuse those files when they exist from an earlier run
  2. check it for a cloud service (any FAIL stops here, exit 4)
  3. upload the .pfx to the cloud service and wait for the operation
  4. set the new thumbprint for --name in the .cscfg

It prints the old and new thumbprints and the next step: deploy the changed
configuration, then remove the old certificate with azcert delete. The old
certificate is never deleted. If the upload fails, the new .pfx stays on
disk and the .cscfg is untouched; running the same command again completes
the rotation. --dry-run shows the plan and changes nothing. The certificate
is made as azcert new makes one (the same checks and limits), with
--cer-format and --pem as there.

Cloud Services (extended support) takes its certificates from a key vault:
with --keyvault VAULT, step 3 imports the .pfx into the vault (no --service,
no management certificate), and azcert prints the osProfile.secrets
fragment for the deployment's ARM template or 'az cloud-service update':
sourceVault.id (--vault-id, the vault's resource id) and the certificate's
versioned secret URL. The vault needs enabledForDeployment.`

const rotateExample = `  azcert rotate contoso.net www.contoso.net --service contoso-web \
    --cscfg ServiceConfiguration.Cloud.cscfg --name SSL \
    --password env:PFX_PW --publish-settings my.publishsettings

  # See what would happen
  azcert rotate contoso.net --service contoso-web --cscfg ServiceConfiguration.Cloud.cscfg --name SSL --dry-run

  # Cloud Services (extended support): through the key vault
  azcert rotate contoso.net --keyvault contoso-kv --cscfg ServiceConfiguration.Cloud.cscfg --name SSL \
    --password env:PFX_PW --vault-id "$(az keyvault show --name contoso-kv --query id -o tsv)"`

// NewCmdRotate makes `azcert rotate`. runF, if not nil, replaces RotateRun
// (tests check the options with it).
func NewCmdRotate(f *cmdutil.Factory, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "rotate <domain>... --service <name> --cscfg <file> --name <certname>",
		Short:   "Replace a cloud service's SSL certificate: new -> check -> upload -> .cscfg",
		Long:    rotateLong,
		Example: rotateExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give the domain(s) of the new certificate, e.g. azcert rotate contoso.net ...")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Domains = args
			opts.Mgmt.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return RotateRun(opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.Mgmt, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.Service, "service", "", "cloud service (hosted service) name (required)")
	fl.StringVar(&opts.Cscfg, "cscfg", "", "service configuration to update (required)")
	fl.StringVar(&opts.Name, "name", "", "the certificate's name in the .cscfg (required)")
	fl.StringVar(&opts.Role, "role", "", "update only this role")
	fl.StringVar(&opts.OutDir, "out-dir", ".", "directory for the new .pfx and .cer")
	fl.StringVar(&opts.FileName, "file-name", "", "base name of the new files (default: the first domain)")
	fl.StringVar(&opts.Password, "password", "", "password source for the new .pfx: "+secret.Syntax)
	fl.IntVar(&opts.KeySize, "key-size", certgen.DefaultKeySize, "RSA key size in bits: 2048, 3072 or 4096")
	fl.IntVar(&opts.Days, "days", 365, "validity in days")
	fl.StringVar(&opts.PFXProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption (Cloud Services needs compat)")
	fl.StringVar(&opts.CerFormat, "cer-format", "der", "encoding of the .cer: der or pem")
	fl.BoolVar(&opts.PEM, "pem", false, "also write <name>.crt.pem and <name>.key.pem")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "show the plan; write and upload nothing")
	fl.StringVar(&opts.KeyVault, "keyvault", "", "Cloud Services (extended support): import into this key vault (name or URL) instead of uploading")
	fl.StringVar(&opts.AccessToken, "access-token", "", "with --keyvault: bearer token source for the vault ("+secret.InSyntax+"); else the Azure credential chain")
	fl.StringVar(&opts.VaultID, "vault-id", "", "with --keyvault: the vault's resource id, for sourceVault.id of the osProfile.secrets fragment")
	_ = cmd.MarkFlagFilename("cscfg", "cscfg")
	_ = cmd.MarkFlagDirname("out-dir")
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cer-format", cobra.FixedCompletions([]string{"der", "pem"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// rotation is a rotation under way: its plan, and what each step found.
type rotation struct {
	opts    *RotateOptions
	plan    *certs.MakePlan
	profile export.Profile
	old     []cscfg.Entry // the .cscfg's entries for --name (and --role)
	reuse   bool          // the .pfx exists from an earlier run
	sess    *cmdutil.MgmtSession
	cert    *input.Loaded
	// With --keyvault: the vault, and the certificate as imported.
	vault    *cmdutil.KeyVaultSession
	imported *kv.Certificate
}

// RotateRun runs `azcert rotate`. Everything is checked (flags, the new
// certificate's request, the .cscfg's entry, the connection) before
// anything is written or sent.
func RotateRun(opts *RotateOptions) error {
	r := &rotation{opts: opts}
	if err := r.prepare(); err != nil {
		return err
	}
	if opts.DryRun {
		r.printPlan()
		return nil
	}
	if err := r.certificate(); err != nil {
		return err
	}
	thumb := mgmtclient.Thumbprint(r.cert.Bundle.Cert)
	if err := r.check(); err != nil {
		return err
	}
	upload := r.upload
	if opts.KeyVault != "" {
		upload = r.importToVault
	}
	if err := upload(thumb); err != nil {
		return cmdutil.WithHint(err, "%s stays on disk and %s is unchanged; run the same command again to finish", r.plan.Files["pfx"], opts.Cscfg)
	}
	if _, err := cscfgcmd.SetInFile(opts.Factory, opts.Cscfg, opts.Name, opts.Role, thumb, ""); err != nil {
		return err
	}
	return r.print(thumb)
}

// prepare checks the flags, plans the certificate as azcert new would, reads
// the .cscfg's entries and connects.
func (r *rotation) prepare() error {
	o := r.opts
	if err := checkRotateFlags(o); err != nil {
		return err
	}
	var err error
	if r.profile, err = export.ParseProfile(o.PFXProfile); err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	r.plan, err = certs.PlanMake(certs.MakeOptions{
		Factory: o.Factory, Names: o.Domains, KeySize: o.KeySize, Purpose: certgen.PurposeService,
		Days: o.Days, Profile: r.profile, CerFormat: o.CerFormat, PEM: o.PEM,
		OutDir: o.OutDir, Name: o.FileName, NameFlag: "file-name", Password: o.Password,
	})
	if err != nil {
		return err
	}
	if r.old, err = cscfgEntries(o); err != nil {
		return err
	}
	_, statErr := os.Stat(r.plan.Files["pfx"])
	r.reuse = statErr == nil
	if o.KeyVault != "" {
		vault := cmdutil.KeyVaultFlags{Conn: o.Mgmt.Conn, AccessToken: o.AccessToken}
		vault.Conn.Endpoint = o.KeyVault
		r.vault, err = o.Factory.KeyVault(o.Ctx, &vault)
		return err
	}
	r.sess, err = o.Factory.ServiceManagement(o.Ctx, &o.Mgmt)
	return err
}

// checkRotateFlags checks the required flags, in the order of the usage
// line (so the message is the same every run), and those that go only
// with --keyvault or only without it.
func checkRotateFlags(o *RotateOptions) error {
	required := []struct{ flag, v string }{{"service", o.Service}, {"cscfg", o.Cscfg}, {"name", o.Name}}
	if o.KeyVault != "" {
		if o.Service != "" {
			return cmdutil.UsageErrorf("--service is a classic cloud service; with --keyvault the certificate goes into the vault (Cloud Services (extended support)): give one of them")
		}
		required = required[1:]
	} else if o.AccessToken != "" || o.VaultID != "" {
		return cmdutil.UsageErrorf("--access-token and --vault-id go with --keyvault")
	}
	for _, req := range required {
		if req.v == "" {
			return cmdutil.UsageErrorf("--%s is required", req.flag)
		}
	}
	return nil
}

// cscfgEntries reads the entries of the .cscfg that --name (and --role)
// select: the configuration must declare the name before anything is made.
func cscfgEntries(o *RotateOptions) ([]cscfg.Entry, error) {
	data, err := input.Read(o.Factory, o.Cscfg)
	if err != nil {
		return nil, err
	}
	entries, err := cscfg.Parse(data)
	if err != nil {
		return nil, cmdutil.InputErrorf("%s: %w", o.Cscfg, err)
	}
	var old []cscfg.Entry
	for _, e := range entries {
		if e.Name == o.Name && (o.Role == "" || e.Role == o.Role) {
			old = append(old, e)
		}
	}
	if len(old) == 0 {
		// Let the editor produce the error that lists the declared names.
		if _, _, err := cscfg.SetThumbprint(data, o.Name, o.Role, strings.Repeat("0", 40)); err != nil {
			return nil, cmdutil.InputErrorf("%s: %w", o.Cscfg, err)
		}
		return nil, cmdutil.InputErrorf("%s declares no certificate %q", o.Cscfg, o.Name)
	}
	return old, nil
}

// printPlan is --dry-run's answer.
func (r *rotation) printPlan() {
	o, w := r.opts, r.opts.IO.Out
	pfx := r.plan.Files["pfx"]
	if r.reuse {
		fmt.Fprintf(w, "1. reuse %s from an earlier run\n", pfx)
	} else {
		fmt.Fprintf(w, "1. create %s and %s: RSA %d, %s, %d days, profile %s\n", pfx, r.plan.Files["cer"], o.KeySize, strings.Join(o.Domains, ", "), o.Days, r.profile)
	}
	fmt.Fprintf(w, "2. check it for a cloud service\n")
	if r.vault != nil {
		fmt.Fprintf(w, "3. import it into %s\n", r.vault.Where)
	} else {
		fmt.Fprintf(w, "3. upload it to cloud service %s (subscription %s) and wait\n", o.Service, r.sess.Subscription)
	}
	for _, e := range r.old {
		fmt.Fprintf(w, "4. set %s in role %s of %s (now %s) to the new thumbprint\n", cmdutil.Printable(e.Name), cmdutil.Printable(e.Role), o.Cscfg, cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)))
	}
	o.IO.Notef("dry run: nothing was written or uploaded")
}

// certificate reuses the .pfx of an earlier run, or makes the new one.
func (r *rotation) certificate() error {
	o, f := r.opts, r.opts.Factory
	pfx := r.plan.Files["pfx"]
	if r.reuse {
		spec := o.Password
		if spec == "generate" {
			spec = "file:" + pfx + ".password"
		}
		l, err := input.LoadFile(f, pfx, secret.Request{Flag: "password", Spec: spec, EnvVar: "AZCERT_PASSWORD"})
		if err != nil {
			return err
		}
		if !sameNames(l.Bundle, r.plan.Request.Names) {
			return cmdutil.WithHint(cmdutil.InputErrorf("%s exists from an earlier run but names %s, not %s", pfx,
				strings.Join(l.Bundle.Cert.DNSNames, ", "), strings.Join(o.Domains, ", ")), "use another --out-dir or --file-name, or remove it")
		}
		o.IO.Notef("reusing %s from an earlier run", pfx)
		r.cert = l
		return nil
	}
	m, err := r.plan.Make()
	if err != nil {
		return err
	}
	o.IO.Notef("created %s and %s", pfx, r.plan.Files["cer"])
	r.cert = &input.Loaded{Data: m.PFX, Password: m.Password.Value}
	r.cert.Bundle, err = export.Load(m.PFX, func() (string, error) { return m.Password.Value, nil })
	return err
}

// check runs azcert check's rules for a cloud service; a FAIL stops.
func (r *rotation) check() error {
	o := r.opts
	rep := check.Run(r.cert.Bundle, check.Options{Target: check.Service, Domains: o.Domains, Now: r.plan.Request.Now})
	if !rep.Failed() {
		return nil
	}
	rep.File = r.plan.Files["pfx"]
	certs.PrintReport(o.IO, rep)
	return &cmdutil.CheckFailedError{Err: fmt.Errorf("%s is not ready for a cloud service; nothing was uploaded", rep.File)}
}

// upload adds the .pfx to the cloud service, unless an earlier run did.
func (r *rotation) upload(thumb string) error {
	o, c, pfx := r.opts, r.sess.Client, r.plan.Files["pfx"]
	ctx, cancel := o.Mgmt.Conn.WithTimeout(o.Ctx)
	defer cancel()
	if _, err := c.GetServiceCertificate(ctx, o.Service, thumb); err == nil {
		o.IO.Notef("%s is already on cloud service %s", thumb, o.Service)
		return nil
	} else if !mgmtclient.IsNotFound(err) || IsServiceMissing(err) {
		return fmt.Errorf("checking cloud service %s: %w", o.Service, err)
	}
	id, err := c.AddServiceCertificate(ctx, o.Service, r.cert.Data, "pfx", r.cert.Password)
	if err != nil {
		return fmt.Errorf("uploading %s to %s: %w", pfx, o.Service, err)
	}
	o.IO.Notef("uploading %s to %s (operation %s)...", pfx, o.Service, id)
	if _, err := c.WaitOperation(ctx, id); err != nil {
		return fmt.Errorf("uploading %s to %s: %w", pfx, o.Service, err)
	}
	return nil
}

// importToVault imports the .pfx into the vault, unless it is the current
// version there already (an earlier run), never twice.
func (r *rotation) importToVault(thumb string) error {
	o := r.opts
	ctx, cancel := o.Mgmt.Conn.WithTimeout(o.Ctx)
	defer cancel()
	name := kvcmd.DefaultName(r.cert.Bundle.Cert)
	params := kv.ImportParams{Value: r.cert.Data, Password: r.cert.Password, ContentType: kv.ContentTypePKCS12}
	c, status, err := kvcmd.ImportOnce(ctx, r.vault, name, params, thumb, o.Mgmt.Conn.Retries)
	if err != nil {
		return fmt.Errorf("importing %s into %s: %w", r.plan.Files["pfx"], r.vault.Where, err)
	}
	if status == "already present" {
		o.IO.Notef("%s is already in %s as %s", thumb, r.vault.Where, c.Name)
	} else {
		o.IO.Notef("imported %s into %s as %s (version %s)", r.plan.Files["pfx"], r.vault.Where, c.Name, c.Version)
	}
	r.imported = c
	return nil
}

// vaultCertificate is one certificate of an osProfile.secrets entry.
type vaultCertificate struct {
	CertificateURL string `json:"certificateUrl"`
}

// secretsFragment is the osProfile.secrets entry of a Cloud Services
// (extended support) deployment that installs the imported certificate:
// the vault by its resource id, the certificate by its versioned secret.
type secretsFragment struct {
	SourceVault struct {
		ID string `json:"id"`
	} `json:"sourceVault"`
	VaultCertificates []vaultCertificate `json:"vaultCertificates"`
}

// printVault reports a rotation through a key vault: old and new
// thumbprints, the osProfile.secrets fragment, and what the vault needs.
func (r *rotation) printVault(thumb string) error {
	o := r.opts
	var frag secretsFragment
	frag.SourceVault.ID = o.VaultID
	frag.VaultCertificates = []vaultCertificate{{r.imported.SID}}
	if o.Factory.JSON() {
		var olds []string
		for _, e := range r.old {
			olds = append(olds, e.Thumbprint)
		}
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{"keyvault": r.vault.Client.VaultURL(), "name": o.Name, "cscfg": o.Cscfg,
			"thumbprint": thumb, "previousThumbprints": olds, "files": r.plan.Files, "certificateName": r.imported.Name,
			"sid": r.imported.SID, "osProfile": map[string]any{"secrets": []secretsFragment{frag}}})
	}
	w := o.IO.Out
	for _, e := range r.old {
		fmt.Fprintf(w, "%-10s %s  (%s/%s)\n", "old", cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)), cmdutil.Printable(e.Role), cmdutil.Printable(e.Name))
	}
	fmt.Fprintf(w, "%-10s %s  (in %s as %s; %s updated)\n", "new", thumb, r.vault.Where, r.imported.Name, o.Cscfg)
	fmt.Fprintln(w, "osProfile.secrets:")
	if err := cmdutil.WriteJSON(w, []secretsFragment{frag}); err != nil {
		return err
	}
	if o.VaultID == "" {
		o.IO.Notef("sourceVault.id is the vault's resource id: give it with --vault-id (az keyvault show --name <vault> --query id -o tsv)")
	}
	o.IO.Notef("next: the vault needs enabledForDeployment (az keyvault update --name <vault> --enabled-for-deployment true); deploy %s with these secrets; the old version stays in the vault", o.Cscfg)
	return nil
}

// print reports the rotation: old and new thumbprints, and what is next.
func (r *rotation) print(thumb string) error {
	o := r.opts
	if r.vault != nil {
		return r.printVault(thumb)
	}
	if o.Factory.JSON() {
		var olds []string
		for _, e := range r.old {
			olds = append(olds, e.Thumbprint)
		}
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{"service": o.Service, "name": o.Name, "cscfg": o.Cscfg,
			"thumbprint": thumb, "previousThumbprints": olds, "files": r.plan.Files})
	}
	w := o.IO.Out
	for _, e := range r.old {
		fmt.Fprintf(w, "%-10s %s  (%s/%s)\n", "old", cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)), cmdutil.Printable(e.Role), cmdutil.Printable(e.Name))
	}
	fmt.Fprintf(w, "%-10s %s  (uploaded to %s; %s updated)\n", "new", thumb, o.Service, o.Cscfg)
	o.IO.Notef("next: deploy %s to %s; once it runs on the new certificate, remove the old one with: azcert delete %s --service %s",
		o.Cscfg, o.Service, cmdutil.OrNone(firstThumb(r.old)), o.Service)
	return nil
}

func firstThumb(entries []cscfg.Entry) string {
	for _, e := range entries {
		if e.Thumbprint != "" {
			return e.Thumbprint
		}
	}
	return ""
}

// sameNames reports whether the certificate names exactly the given names.
func sameNames(b *export.Bundle, names []certgen.Name) bool {
	have := map[string]bool{}
	for _, d := range b.Cert.DNSNames {
		have[strings.ToLower(d)] = true
	}
	for _, ip := range b.Cert.IPAddresses {
		have[ip.String()] = true
	}
	if len(have) != len(names) {
		return false
	}
	for _, n := range names {
		if !have[n.ASCII] {
			return false
		}
	}
	return true
}
