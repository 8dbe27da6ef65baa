package entra

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/graph"
)

// AddOptions is what `azcert entra add` runs with.
type AddOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Entra         cmdutil.EntraFlags
	File          string
	InPassword    string
	DisplayName   string
	Start         string
	End           string
	ProofCert     string
	ProofPassword string
}

const addLong = `Add a certificate to an Entra ID application (or, with --service-principal,
its service principal) as a certificate credential. Only the certificate,
the public part, is sent: FILE may be a .cer (DER or PEM), a PEM
certificate or a .pfx (then --in-password opens it).

Without --proof-cert azcert reads the credentials with their certificates,
writes them all back with the new one (PATCH keyCredentials, which replaces
the collection), and reads again to confirm: no credential already there is
lost, and one that a concurrent writer removed is put back. This needs
Application.ReadWrite.OwnedBy (as an owner of the application) or
Application.ReadWrite.All.

With --proof-cert EXISTING.pfx it uses Graph's addKey action instead: the
request carries a proof signed by the key of a certificate the object
already has, and an application may call it on itself without any
permission. That is how an application rotates its own certificate.

A certificate that is a credential already is not added again (exit 0).
--start and --end (a date, or an RFC 3339 time) narrow the credential's
validity; by default it is the certificate's.`

const addExample = `  # The certificate of 'azcert new ci-app --for entra', to the application with this app id
  azcert entra add ci-app.cer --app 41ccda45-f054-4b4c-828b-d68d4fc40758

  # Rotation by the application itself: the proof is signed with its current certificate
  azcert entra add ci-app-2027.cer --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --proof-cert ci-app.pfx --proof-password env:PFX_PW

  # To the app's service principal, valid until the end of next year
  azcert entra add ci-app.cer --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --service-principal --end 2027-12-31`

// NewCmdAdd makes `azcert entra add`. runF, if not nil, replaces AddRun
// (tests check the options with it).
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:               "add <file> --app <id> [--service-principal] [--proof-cert <file.pfx>]",
		Short:             "Add a certificate credential to an Entra ID application",
		Long:              addLong,
		Example:           addExample,
		ValidArgsFunction: cmdutil.FileArgs(cmdutil.CertExts...),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("give one certificate file (.cer, .pem or .pfx) to add")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.File = cmd.Context(), args[0]
			opts.Entra.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if runF != nil {
				return runF(opts)
			}
			return AddRun(opts)
		},
	}
	cmdutil.AddEntraFlags(cmd, &opts.Entra, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.InPassword, "in-password", "", "password source for FILE when it is a .pfx: "+secret.InSyntax)
	fl.StringVar(&opts.DisplayName, "display-name", "", "the credential's name (default: CN=<the certificate's common name>)")
	fl.StringVar(&opts.Start, "start", "", "the credential's start, a date or an RFC 3339 time, within the certificate's validity (default: the certificate's)")
	fl.StringVar(&opts.End, "end", "", "the credential's end, a date or an RFC 3339 time, within the certificate's validity (default: the certificate's)")
	addProofFlags(cmd, &opts.ProofCert, &opts.ProofPassword)
	return cmd
}

func addProofFlags(cmd *cobra.Command, certFile, password *string) {
	fl := cmd.Flags()
	fl.StringVar(certFile, "proof-cert", "", "a .pfx (or PEM with the key) of a current credential of the object: sign Graph's addKey/removeKey proof with it")
	fl.StringVar(password, "proof-password", "", "password source for --proof-cert: "+secret.InSyntax)
	_ = cmd.MarkFlagFilename("proof-cert", "pfx", "p12", "pem")
}

// addResult is what `azcert entra add` prints.
type addResult struct {
	Status string `json:"status"`
	credResult
	Kind     string   `json:"kind"`
	ObjectID string   `json:"objectId"`
	AppID    string   `json:"appId"`
	Method   string   `json:"method"`
	Kept     []string `json:"kept"`
	Restored []string `json:"restored,omitempty"`
}

// AddRun runs `azcert entra add`.
func AddRun(opts *AddOptions) error {
	cert, kc, proof, err := addCredential(opts)
	if err != nil {
		return err
	}
	sess, err := opts.Factory.Graph(opts.Ctx, &opts.Entra)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Entra.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	kind := kindOf(&opts.Entra)
	obj, err := find(ctx, sess, &opts.Entra, true)
	if err != nil {
		return err
	}
	now := opts.Factory.Now()
	r := addResult{Kind: kindName(kind), ObjectID: obj.ID, AppID: obj.AppID}
	if have := obj.Credential(thumbOf(cert)); have != nil {
		r.Status, r.Method, r.credResult = "already present", "none", resultOf(have, now)
		r.Kept = others(obj.KeyCredentials, have.KeyID)
		opts.IO.Notef("%s is a credential of %s already (keyId %s); nothing added", opts.File, describe(obj), have.KeyID)
		return printAdd(opts.Factory, r)
	}
	if err := writeAdd(ctx, opts, sess, obj, kc, proof, &r); err != nil {
		return graphError(fmt.Errorf("adding %s to %s: %w", opts.File, describe(obj), err))
	}
	if r.Status == "added" {
		opts.IO.Notef("added %s to %s as keyId %s; kept %d other credential(s)", opts.File, describe(obj), r.KeyID, len(r.Kept))
	}
	return printAdd(opts.Factory, r)
}

// addCredential checks the flags and reads FILE and --proof-cert (so that
// a wrong password is refused before anything is sent), and makes the
// credential to add.
func addCredential(opts *AddOptions) (*x509.Certificate, graph.KeyCredential, *proofKey, error) {
	var kc graph.KeyCredential
	if err := input.CheckStdin([]string{opts.File}, input.PasswordFlag{Name: "in-password", Spec: opts.InPassword},
		input.PasswordFlag{Name: "proof-password", Spec: opts.ProofPassword}, input.PasswordFlag{Name: "access-token", Spec: opts.Entra.AccessToken}); err != nil {
		return nil, kc, nil, err
	}
	if err := proofFlagsGiven(opts.ProofCert, opts.ProofPassword); err != nil {
		return nil, kc, nil, err
	}
	// Graph keeps a displayName of up to 256 characters as sent; one with
	// control characters would garble every listing of the application.
	if n := opts.DisplayName; !utf8.ValidString(n) || utf8.RuneCountInString(n) > 256 || strings.ContainsFunc(n, unicode.IsControl) {
		return nil, kc, nil, cmdutil.UsageErrorf("--display-name %q: give up to 256 printable characters", n)
	}
	start, err := parseDate("start", opts.Start)
	if err != nil {
		return nil, kc, nil, err
	}
	end, err := parseDate("end", opts.End)
	if err != nil {
		return nil, kc, nil, err
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return nil, kc, nil, cmdutil.UsageErrorf("--end %s is not after --start %s", opts.End, opts.Start)
	}
	l, err := input.LoadFile(opts.Factory, opts.File, secret.Request{Flag: "in-password", Spec: opts.InPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return nil, kc, nil, err
	}
	cert := l.Bundle.Cert
	if typ, bits := export.KeyInfo(cert); typ != "RSA" || bits < 2048 {
		return nil, kc, nil, cmdutil.InputErrorf("%s: the key is %s %d; Entra ID takes RSA keys of at least 2048 bits", opts.File, typ, bits)
	}
	if !opts.Factory.Now().Before(cert.NotAfter) {
		return nil, kc, nil, cmdutil.WithHint(cmdutil.InputErrorf("%s expired on %s; Entra ID would never accept it for a sign-in", opts.File, cert.NotAfter.UTC().Format(time.DateOnly)),
			"make a new one: azcert new <name> --for entra")
	}
	// Entra ID refuses a credential that outlives its certificate or
	// starts before it ("Key credential end date is invalid."), so the
	// dates are checked here, before anything is sent (exit 3, as for
	// any invalid validity).
	validity := fmt.Sprintf("%s to %s", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case !start.IsZero() && (start.Before(cert.NotBefore.Truncate(time.Second)) || !start.Before(cert.NotAfter)):
		return nil, kc, nil, cmdutil.WithHint(cmdutil.InputErrorf("--start %s is outside the certificate's validity (%s); Entra ID refuses such a credential", opts.Start, validity),
			"leave --start out to use the certificate's own start")
	case !end.IsZero() && end.After(cert.NotAfter):
		return nil, kc, nil, cmdutil.WithHint(cmdutil.InputErrorf("--end %s is after the certificate expires (%s); Entra ID refuses a credential that outlives its certificate", opts.End, cert.NotAfter.UTC().Format(time.RFC3339)),
			"leave --end out to use the certificate's expiry, or make a longer-lived one: azcert new <name> --for entra --days N")
	case !end.IsZero() && !end.After(cert.NotBefore):
		return nil, kc, nil, cmdutil.WithHint(cmdutil.InputErrorf("--end %s is before the certificate becomes valid (%s)", opts.End, validity),
			"leave --end out to use the certificate's expiry")
	}
	proof, err := loadProof(opts.Factory, opts.ProofCert, opts.ProofPassword)
	if err != nil {
		return nil, kc, nil, err
	}
	return cert, graph.NewKeyCredential(cert, opts.DisplayName, start, end), proof, nil
}

// writeAdd adds kc to obj, by PATCH or, with --proof-cert, addKey, and
// fills r in.
func writeAdd(ctx context.Context, opts *AddOptions, sess *cmdutil.GraphSession, obj *graph.Object, kc graph.KeyCredential, pk *proofKey, r *addResult) error {
	now := opts.Factory.Now()
	if pk == nil {
		res, err := sess.Client.AddCredential(ctx, obj.Kind, obj.ID, kc)
		if err != nil {
			return err
		}
		r.Status, r.Method, r.credResult = "added", "patch", resultOf(&res.Credential, now)
		if res.AlreadyPresent {
			r.Status, r.Method = "already present", "none"
		}
		r.Kept = others(obj.KeyCredentials, res.Credential.KeyID)
		r.Restored = restored(opts.IO, res.Restored)
		return nil
	}
	proof, err := pk.sign(opts.Factory, obj.ID)
	if err != nil {
		return err
	}
	added, err := sess.Client.AddKey(ctx, obj.Kind, obj.ID, kc, proof)
	if err != nil {
		return err
	}
	if added.Thumbprint == "" {
		added.Thumbprint = graph.Thumbprint(kc.Key)
	}
	if added.Start.IsZero() {
		added.Start, added.End = kc.Start, kc.End
	}
	r.Status, r.Method, r.credResult = "added", "addKey", resultOf(added, now)
	r.Kept = others(obj.KeyCredentials, added.KeyID)
	return nil
}

// others lists the thumbprints of creds but keyID.
func others(creds []graph.KeyCredential, keyID string) []string {
	var keep []graph.KeyCredential
	for _, kc := range creds {
		if kc.KeyID != keyID {
			keep = append(keep, kc)
		}
	}
	return thumbs(keep)
}

func printAdd(f *cmdutil.Factory, r addResult) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	line(f, "status", r.Status)
	line(f, "keyId", r.KeyID)
	line(f, "thumbprint", r.Thumbprint)
	line(f, "x5t", r.X5T)
	line(f, "name", r.DisplayName)
	line(f, "start", day(r.Start))
	line(f, "end", day(r.End))
	line(f, r.Kind, r.ObjectID)
	line(f, "appId", r.AppID)
	line(f, "method", r.Method)
	line(f, "kept", joinOr(r.Kept))
	if len(r.Restored) > 0 {
		line(f, "restored", joinOr(r.Restored))
	}
	return nil
}
