// Package entra is azcert entra: the certificate credentials of Microsoft
// Entra ID applications and service principals through Microsoft Graph
// (add, list, remove), and signing in with one to prove it works.
package entra

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/pkg/azhttp"
	entraid "github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/graph"
)

const groupLong = `Manage the certificate credentials of a Microsoft Entra ID application
(App registrations, Certificates & secrets) or of its service principal,
through Microsoft Graph, and sign in with one.

The object is --app, its app id (client id) or object id; --service-principal
acts on the app's service principal (enterprise application) instead.
Authentication to Graph: --access-token SRC, AZCERT_ACCESS_TOKEN, or else
the Azure credential chain (environment variables, workload identity,
managed identity, 'az login', 'azd auth login'), for the scope
https://graph.microsoft.com/.default (or --cloud's, or --graph-endpoint's).

Permissions: reading needs Application.Read.All; changing needs
Application.ReadWrite.OwnedBy (and the caller an owner of the application)
or Application.ReadWrite.All. With --proof-cert, add and remove use
Graph's addKey and removeKey actions, which an application may call on
itself with no permission at all: the proof is signed by one of its current
certificates.

Without --proof-cert, add and remove replace the whole keyCredentials
collection (PATCH): azcert writes back every credential it read, with its
certificate, and reads the collection again to confirm that none was lost.`

// NewCmdGroup makes `azcert entra`.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entra <command>",
		Short: "Entra ID application certificates: add, list, remove, sign in",
		Long:  groupLong,
		Example: `  # Register a new certificate, then prove it works
  azcert new ci-app --for entra --password env:PFX_PW
  azcert entra add ci-app.cer --app 41ccda45-f054-4b4c-828b-d68d4fc40758
  azcert entra signin ci-app.pfx --tenant contoso.onmicrosoft.com --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --in-password env:PFX_PW

  # What the application holds, and what expires soon
  azcert entra list --app 41ccda45-f054-4b4c-828b-d68d4fc40758`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert entra add, list, remove or signin")
		},
	}
	cmd.AddCommand(NewCmdAdd(f, nil), NewCmdList(f, nil), NewCmdRemove(f, nil), NewCmdSignIn(f, nil))
	return cmd
}

// kindOf is the collection --service-principal picks.
func kindOf(o *cmdutil.EntraFlags) graph.Kind {
	if o.ServicePrincipal {
		return graph.ServicePrincipal
	}
	return graph.Application
}

// kindName names an object's kind in messages.
func kindName(k graph.Kind) string {
	if k == graph.ServicePrincipal {
		return "service principal"
	}
	return "application"
}

// describe names the object in messages: application "ci-deploy" (object
// id ...).
func describe(o *graph.Object) string {
	return fmt.Sprintf("%s %q (object id %s)", kindName(o.Kind), o.DisplayName, o.ID)
}

// graphError words a Graph failure: the credential chain's, or a hint for
// what the user can do (cmdutil.GraphHint).
func graphError(err error) error {
	if errors.As(err, new(*azhttp.CredentialError)) {
		return connect.CredentialFailure(err)
	}
	return cmdutil.GraphHint(err)
}

// find reads the object --app names, with the certificates themselves
// when withKeys (for thumbprints and x5t computed from them).
func find(ctx context.Context, sess *cmdutil.GraphSession, o *cmdutil.EntraFlags, withKeys bool) (*graph.Object, error) {
	obj, err := sess.Client.Find(ctx, kindOf(o), o.App, withKeys)
	if err != nil {
		return nil, graphError(fmt.Errorf("reading %s %s in %s: %w", kindName(kindOf(o)), o.App, sess.Where, err))
	}
	return obj, nil
}

// credResult is a certificate credential as the entra commands print it.
type credResult struct {
	KeyID       string     `json:"keyId"`
	DisplayName string     `json:"displayName,omitempty"`
	Thumbprint  string     `json:"thumbprint,omitempty"`
	X5T         string     `json:"x5t,omitempty"`
	Start       *time.Time `json:"start,omitempty"`
	End         *time.Time `json:"end,omitempty"`
	Status      string     `json:"status"`
}

// Credential statuses.
const (
	StatusValid        = "valid"
	StatusExpired      = "expired"
	StatusExpiringSoon = "expiring soon"
	StatusNotYetValid  = "not yet valid"
)

// ExpiringSoon is how close to its end a credential is "expiring soon",
// as check's validity rule.
const ExpiringSoon = 30 * 24 * time.Hour

// Status is a credential's status at now.
func Status(kc *graph.KeyCredential, now time.Time) string {
	switch {
	case !kc.Start.IsZero() && now.Before(kc.Start):
		return StatusNotYetValid
	case !kc.End.IsZero() && !now.Before(kc.End):
		return StatusExpired
	case !kc.End.IsZero() && kc.End.Sub(now) < ExpiringSoon:
		return StatusExpiringSoon
	}
	return StatusValid
}

// X5T is a credential's x5t (base64url SHA-1): from the certificate when
// Graph returned it, else from the thumbprint.
func X5T(kc *graph.KeyCredential) string {
	if len(kc.Key) > 0 {
		return entraid.X5T(kc.Key)
	}
	raw, err := hex.DecodeString(kc.Thumbprint)
	if err != nil || len(raw) != 20 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func resultOf(kc *graph.KeyCredential, now time.Time) credResult {
	return credResult{KeyID: kc.KeyID, DisplayName: kc.DisplayName, Thumbprint: kc.Thumbprint, X5T: X5T(kc),
		Start: timePtr(kc.Start), End: timePtr(kc.End), Status: Status(kc, now)}
}

func thumbs(creds []graph.KeyCredential) []string {
	out := []string{}
	for _, kc := range creds {
		t := kc.Thumbprint
		if t == "" {
			t = "keyId " + kc.KeyID
		}
		out = append(out, t)
	}
	return out
}

// proofKey is --proof-cert, loaded with its key: what signs Graph's
// addKey and removeKey proofs.
type proofKey struct {
	file   string
	signer crypto.Signer
	cert   *x509.Certificate
}

// loadProof reads --proof-cert once (its password may come from a prompt
// or stdin) and refuses, before any request, one that cannot sign a
// proof: no key, not RSA of at least 2048 bits, not the certificate's
// key. It returns nil without --proof-cert.
func loadProof(f *cmdutil.Factory, file, password string) (*proofKey, error) {
	if file == "" {
		return nil, nil
	}
	b, err := input.LoadWith(f, file, password, "proof-password", "AZCERT_PROOF_PASSWORD")
	if err != nil {
		return nil, err
	}
	signer, ok := b.Key.(crypto.Signer)
	if b.Key == nil || !ok {
		return nil, cmdutil.WithHint(cmdutil.InputErrorf("%s holds no private key; the proof is signed with the key of a current credential", file),
			"give the .pfx of a certificate the object already has (azcert entra list shows them)")
	}
	p := &proofKey{file: file, signer: signer, cert: b.Cert}
	// A trial signature finds a key that cannot sign one.
	if _, err := p.sign(f, "00000000-0000-4000-8000-000000000000"); err != nil {
		return nil, err
	}
	return p, nil
}

// sign makes a proof of possession for the object.
func (p *proofKey) sign(f *cmdutil.Factory, objectID string) (string, error) {
	proof, err := entraid.ProofOfPossession(p.signer, p.cert, entraid.ProofOptions{ObjectID: objectID, Now: f.Now(), Rand: f.RandSource})
	if err != nil {
		var ke *entraid.KeyError
		if errors.As(err, &ke) {
			return "", cmdutil.InputErrorf("--proof-cert %s: %w", p.file, err)
		}
		return "", err
	}
	return proof, nil
}

// thumbOf is a certificate's thumbprint in Azure's form.
func thumbOf(c *x509.Certificate) string {
	return export.FormatThumbprint(export.Thumbprint(c.Raw, export.SHA1), export.SHA1, export.FormatAzure)
}

// parseDate reads --start or --end: RFC 3339, or a date (midnight UTC).
func parseDate(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, cmdutil.UsageErrorf("--%s %q: want a date (2026-12-31) or a time (2026-12-31T23:59:59Z)", flag, v)
}

// line prints "key: value" unless value is empty.
func line(f *cmdutil.Factory, k, v string) {
	if v != "" {
		fmt.Fprintf(f.IO.Out, "%-12s %s\n", k+":", cmdutil.Printable(v))
	}
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// guid reports a flag value that must be a GUID.
func guid(flag, v string) error {
	if !graph.ValidID(v) {
		return cmdutil.UsageErrorf("--%s %q is not a GUID", flag, v)
	}
	return nil
}

// joinOr lists strings for a message.
func joinOr(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// proofFlagsGiven refuses --proof-password without --proof-cert.
func proofFlagsGiven(certFile, password string) error {
	if password != "" && certFile == "" {
		return cmdutil.UsageErrorf("--proof-password is the password of --proof-cert; give --proof-cert too")
	}
	return nil
}

// restored lists the credentials a PATCH put back, warning that a
// concurrent change had removed them.
func restored(io *cmdutil.IOStreams, creds []graph.KeyCredential) []string {
	t := thumbs(creds)
	if len(creds) > 0 {
		io.Warnf("a concurrent change removed %s while azcert wrote; they were put back", joinOr(t))
	}
	return t
}
