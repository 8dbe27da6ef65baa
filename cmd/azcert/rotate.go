package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/asm"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	cscfgcmd "github.com/azcert/azcert/cmd/azcert/internal/cscfg"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/cscfg"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

type rotateOptions struct {
	mgmt       cmdutil.MgmtFlags
	domains    []string
	service    string
	cscfgFile  string
	certName   string
	role       string
	outDir     string
	fileName   string
	password   string
	keySize    int
	days       int
	pfxProfile string
	dryRun     bool
}

func newRotateCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &rotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate <domain>... --service <name> --cscfg <file> --name <certname>",
		Short: "Replace a cloud service's SSL certificate: new -> check -> upload -> .cscfg",
		Long: `Rotate the SSL certificate of a cloud service in one step:

  1. create a new key and certificate for the domains (<out-dir>/<domain>.pfx
     and .cer), or reuse those files when they exist from an earlier run
  2. check it for a cloud service (any FAIL stops here, exit 4)
  3. upload the .pfx to the cloud service and wait for the operation
  4. set the new thumbprint for --name in the .cscfg

It prints the old and new thumbprints and the next step: deploy the changed
configuration, then remove the old certificate with azcert delete. The old
certificate is never deleted. If the upload fails, the new .pfx stays on
disk and the .cscfg is untouched; running the same command again completes
the rotation. --dry-run shows the plan and changes nothing.`,
		Example: `  azcert rotate contoso.net www.contoso.net --service contoso-web \
    --cscfg ServiceConfiguration.Cloud.cscfg --name SSL \
    --password env:PFX_PW --publish-settings my.publishsettings

  # See what would happen
  azcert rotate contoso.net --service contoso-web --cscfg ServiceConfiguration.Cloud.cscfg --name SSL --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give the domain(s) of the new certificate, e.g. azcert rotate contoso.net ...")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.domains = args
			return runRotate(f, cmd, opts)
		},
	}
	cmdutil.AddMgmtFlags(cmd, &opts.mgmt, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.service, "service", "", "cloud service (hosted service) name (required)")
	fl.StringVar(&opts.cscfgFile, "cscfg", "", "service configuration to update (required)")
	fl.StringVar(&opts.certName, "name", "", "the certificate's name in the .cscfg (required)")
	fl.StringVar(&opts.role, "role", "", "update only this role")
	fl.StringVar(&opts.outDir, "out-dir", ".", "directory for the new .pfx and .cer")
	fl.StringVar(&opts.fileName, "file-name", "", "base name of the new files (default: the first domain)")
	fl.StringVar(&opts.password, "password", "", "password source for the new .pfx: "+secret.Syntax)
	fl.IntVar(&opts.keySize, "key-size", certgen.DefaultKeySize, "RSA key size in bits: 2048, 3072 or 4096")
	fl.IntVar(&opts.days, "days", 365, "validity in days")
	fl.StringVar(&opts.pfxProfile, "pfx-profile", string(export.ProfileCompat), "PFX encryption (Cloud Services needs compat)")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "show the plan; write and upload nothing")
	_ = cmd.MarkFlagFilename("cscfg", "cscfg")
	_ = cmd.MarkFlagDirname("out-dir")
	_ = cmd.RegisterFlagCompletionFunc("pfx-profile", cobra.FixedCompletions([]string{"compat", "modern"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runRotate(f *cmdutil.Factory, cmd *cobra.Command, opts *rotateOptions) error {
	// In the order of the usage line, so the message is the same every run.
	for _, req := range []struct{ flag, v string }{{"service", opts.service}, {"cscfg", opts.cscfgFile}, {"name", opts.certName}} {
		if req.v == "" {
			return cmdutil.UsageErrorf("--%s is required", req.flag)
		}
	}
	profile, err := export.ParseProfile(opts.pfxProfile)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("--pfx-profile: %w", err)}
	}
	if opts.days <= 0 {
		return cmdutil.InputErrorf("--days %d: the certificate must be valid for at least one day", opts.days)
	}
	names, err := certgen.ParseNames(opts.domains)
	if err != nil {
		return err
	}
	now := f.Now()
	req := certgen.Request{Names: names, KeySize: opts.keySize, Purpose: certgen.PurposeService, Now: now,
		NotAfter: now.Add(time.Duration(opts.days) * 24 * time.Hour), Rand: f.RandSource}
	if err := req.Validate(); err != nil {
		return err
	}

	// The .cscfg must declare the name before anything is made.
	cfgData, err := input.Read(f, opts.cscfgFile)
	if err != nil {
		return err
	}
	entries, err := cscfg.Parse(cfgData)
	if err != nil {
		return cmdutil.InputErrorf("%s: %w", opts.cscfgFile, err)
	}
	var old []cscfg.Entry
	for _, e := range entries {
		if e.Name == opts.certName && (opts.role == "" || e.Role == opts.role) {
			old = append(old, e)
		}
	}
	if len(old) == 0 {
		// Let the editor produce the error that lists the declared names.
		if _, _, err := cscfg.SetThumbprint(cfgData, opts.certName, opts.role, strings.Repeat("0", 40)); err != nil {
			return cmdutil.InputErrorf("%s: %w", opts.cscfgFile, err)
		}
		return cmdutil.InputErrorf("%s declares no certificate %q", opts.cscfgFile, opts.certName)
	}

	base := opts.fileName
	if base == "" {
		base = defaultBaseName(names[0])
	}
	pfxPath := filepath.Join(opts.outDir, base+".pfx")
	cerPath := filepath.Join(opts.outDir, base+".cer")
	pwPath := pfxPath + ".password"
	_, statErr := os.Stat(pfxPath)
	reuse := statErr == nil

	sess, err := connectMgmt(cmd, f, &opts.mgmt)
	if err != nil {
		return err
	}

	if opts.dryRun {
		w := f.IO.Out
		if reuse {
			fmt.Fprintf(w, "1. reuse %s from an earlier run\n", pfxPath)
		} else {
			fmt.Fprintf(w, "1. create %s and %s: RSA %d, %s, %d days, profile %s\n", pfxPath, cerPath, opts.keySize, strings.Join(opts.domains, ", "), opts.days, profile)
		}
		fmt.Fprintf(w, "2. check it for a cloud service\n")
		fmt.Fprintf(w, "3. upload it to cloud service %s (subscription %s) and wait\n", opts.service, sess.Subscription)
		for _, e := range old {
			fmt.Fprintf(w, "4. set %s in role %s of %s (now %s) to the new thumbprint\n", cmdutil.Printable(e.Name), cmdutil.Printable(e.Role), opts.cscfgFile, cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)))
		}
		f.IO.Notef("dry run: nothing was written or uploaded")
		return nil
	}

	// 1. The certificate: reuse the files of an earlier run, or make them.
	var l *input.Loaded
	if reuse {
		spec := opts.password
		if spec == "generate" {
			spec = "file:" + pwPath
		}
		l, err = input.LoadFile(f, pfxPath, secret.Request{Flag: "password", Spec: spec, EnvVar: "AZCERT_PASSWORD"})
		if err != nil {
			return err
		}
		if !sameNames(l.Bundle, names) {
			return cmdutil.WithHint(cmdutil.InputErrorf("%s exists from an earlier run but names %s, not %s", pfxPath,
				strings.Join(l.Bundle.Cert.DNSNames, ", "), strings.Join(opts.domains, ", ")), "use another --out-dir or --file-name, or remove it")
		}
		f.IO.Notef("reusing %s from an earlier run", pfxPath)
	} else {
		paths := []string{pfxPath, cerPath}
		if opts.password == "generate" {
			paths = append(paths, pwPath)
		}
		if err := export.CheckWritable(paths, false); err != nil {
			return err
		}
		pw, err := secret.Resolve(f, secret.Request{Flag: "password", Spec: opts.password, EnvVar: "AZCERT_PASSWORD",
			Purpose: filepath.Base(pfxPath), Create: true, AllowGenerate: true})
		if err != nil {
			return err
		}
		res, err := certgen.Generate(req)
		if err != nil {
			return err
		}
		pfx, err := export.EncodePFX(res.Key, res.Cert, nil, export.PFXOptions{Profile: profile, Password: pw.Value, Rand: f.RandSource})
		if err != nil {
			return err
		}
		files := []export.File{{Path: pfxPath, Data: pfx, Mode: export.ModeSecret}, {Path: cerPath, Data: res.DER, Mode: export.ModePublic}}
		if pw.Generated {
			files = append(files, export.File{Path: pwPath, Data: []byte(pw.Value + "\n"), Mode: export.ModeSecret})
		}
		if err := export.WriteFiles(files, false); err != nil {
			return err
		}
		f.IO.Notef("created %s and %s", pfxPath, cerPath)
		l = &input.Loaded{Data: pfx, Password: pw.Value}
		if l.Bundle, err = export.Load(pfx, func() (string, error) { return pw.Value, nil }); err != nil {
			return err
		}
	}
	newThumb := mgmtclient.Thumbprint(l.Bundle.Cert)
	resume := func(err error) error {
		return cmdutil.WithHint(err, "%s stays on disk and %s is unchanged; run the same command again to finish", pfxPath, opts.cscfgFile)
	}

	// 2. Check.
	r := check.Run(l.Bundle, check.Options{Target: check.Service, Domains: opts.domains, Now: now})
	if r.Failed() {
		r.File = pfxPath
		printReport(f, r)
		return &cmdutil.CheckFailedError{Err: fmt.Errorf("%s is not ready for a cloud service; nothing was uploaded", pfxPath)}
	}

	// 3. Upload, unless an earlier run did.
	ctx, cancel := opts.mgmt.Conn.WithTimeout(cmd.Context())
	defer cancel()
	if _, err := sess.Client.GetServiceCertificate(ctx, opts.service, newThumb); err == nil {
		f.IO.Notef("%s is already on cloud service %s", newThumb, opts.service)
	} else if !mgmtclient.IsNotFound(err) || asm.IsServiceMissing(err) {
		return resume(fmt.Errorf("checking cloud service %s: %w", opts.service, err))
	} else {
		id, err := sess.Client.AddServiceCertificate(ctx, opts.service, l.Data, "pfx", l.Password)
		if err != nil {
			return resume(fmt.Errorf("uploading %s to %s: %w", pfxPath, opts.service, err))
		}
		f.IO.Notef("uploading %s to %s (operation %s)...", pfxPath, opts.service, id)
		if _, err := sess.Client.WaitOperation(ctx, id); err != nil {
			return resume(fmt.Errorf("uploading %s to %s: %w", pfxPath, opts.service, err))
		}
	}

	// 4. The configuration.
	if _, err := cscfgcmd.SetInFile(f, opts.cscfgFile, opts.certName, opts.role, newThumb, ""); err != nil {
		return err
	}

	if f.JSON() {
		var olds []string
		for _, e := range old {
			olds = append(olds, e.Thumbprint)
		}
		return cmdutil.WriteJSON(f.IO.Out, map[string]any{"service": opts.service, "name": opts.certName, "cscfg": opts.cscfgFile,
			"thumbprint": newThumb, "previousThumbprints": olds, "files": map[string]string{"pfx": pfxPath, "cer": cerPath}})
	}
	w := f.IO.Out
	for _, e := range old {
		fmt.Fprintf(w, "%-10s %s  (%s/%s)\n", "old", cmdutil.Printable(cmdutil.OrNone(e.Thumbprint)), cmdutil.Printable(e.Role), cmdutil.Printable(e.Name))
	}
	fmt.Fprintf(w, "%-10s %s  (uploaded to %s; %s updated)\n", "new", newThumb, opts.service, opts.cscfgFile)
	f.IO.Notef("next: deploy %s to %s; once it runs on the new certificate, remove the old one with: azcert delete %s --service %s",
		opts.cscfgFile, opts.service, cmdutil.OrNone(firstThumb(old)), opts.service)
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
