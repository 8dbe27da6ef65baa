package entra

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/graph"
)

// RemoveOptions is what `azcert entra remove` runs with.
type RemoveOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Ctx     context.Context

	Entra         cmdutil.EntraFlags
	KeyID         string
	Thumbprint    string
	ProofCert     string
	ProofPassword string
	Force         bool
	Yes           bool
}

const removeLong = `Remove a certificate credential from an Entra ID application (or, with
--service-principal, its service principal), named by --key-id or by
--thumbprint (any case; separators ignored).

Without --proof-cert azcert reads the credentials with their certificates,
writes back every other one (PATCH keyCredentials) and reads again to
confirm that only this one is gone; that needs
Application.ReadWrite.OwnedBy (as an owner) or Application.ReadWrite.All.
With --proof-cert PFX it uses Graph's removeKey action, whose proof is
signed by a current credential of the object (another one, or this one):
an application may remove its own old certificate that way.

Removing the last credential would leave the application unable to sign
in with a certificate: that is refused (exit 3) unless --force. A
credential that is not there is not an error (exit 0). On a terminal it
asks first; without one it needs --yes.`

const removeExample = `  # After a rotation: the old certificate goes, the proof signed by the new one
  azcert entra remove --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --thumbprint D236705EB58A29BD399CA00231F624903F009CB3 --proof-cert ci-app-2027.pfx --proof-password env:PFX_PW --yes

  # By key id, with Application.ReadWrite.All
  azcert entra remove --app 41ccda45-f054-4b4c-828b-d68d4fc40758 --key-id 8d2e9c0a-5b7f-4e1d-9a63-2f4c8b1e7d05 --yes`

// NewCmdRemove makes `azcert entra remove`. runF, if not nil, replaces
// RemoveRun (tests check the options with it).
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:     "remove --app <id> {--key-id <id> | --thumbprint <thumbprint>} [--proof-cert <file.pfx>] [--force] [--yes]",
		Short:   "Remove a certificate credential from an Entra ID application",
		Long:    removeLong,
		Example: removeExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Entra.Conn.CloudChanged = cmd.Flags().Changed("cloud")
			if (opts.KeyID == "") == (opts.Thumbprint == "") {
				return cmdutil.UsageErrorf("give the credential to remove: --key-id ID or --thumbprint T (one of them)")
			}
			if runF != nil {
				return runF(opts)
			}
			return RemoveRun(opts)
		},
	}
	cmdutil.AddEntraFlags(cmd, &opts.Entra, secret.InSyntax)
	fl := cmd.Flags()
	fl.StringVar(&opts.KeyID, "key-id", "", "the credential's keyId (azcert entra list shows it)")
	fl.StringVar(&opts.Thumbprint, "thumbprint", "", "the credential's certificate thumbprint (SHA-1)")
	addProofFlags(cmd, &opts.ProofCert, &opts.ProofPassword)
	fl.BoolVar(&opts.Force, "force", false, "remove the credential even if it is the object's last one")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// removeResult is what `azcert entra remove` prints.
type removeResult struct {
	Status string `json:"status"`
	credResult
	Kind      string   `json:"kind"`
	ObjectID  string   `json:"objectId"`
	AppID     string   `json:"appId"`
	Method    string   `json:"method"`
	Remaining []string `json:"remaining"`
	Restored  []string `json:"restored,omitempty"`
}

// RemoveRun runs `azcert entra remove`.
func RemoveRun(opts *RemoveOptions) error {
	thumb, proof, err := removeTarget(opts)
	if err != nil {
		return err
	}
	sess, err := opts.Factory.Graph(opts.Ctx, &opts.Entra)
	if err != nil {
		return err
	}
	ctx, cancel := opts.Entra.Conn.WithTimeout(opts.Ctx)
	defer cancel()
	obj, err := find(ctx, sess, &opts.Entra, true)
	if err != nil {
		return err
	}
	var kc *graph.KeyCredential
	what := "keyId " + opts.KeyID
	if thumb != "" {
		kc, what = obj.Credential(thumb), "thumbprint "+thumb
	} else {
		kc = obj.ByKeyID(opts.KeyID)
	}
	r := removeResult{Kind: kindName(obj.Kind), ObjectID: obj.ID, AppID: obj.AppID}
	if kc == nil {
		r.Status, r.Method, r.Remaining = "not present", "none", thumbs(obj.KeyCredentials)
		r.credResult = credResult{KeyID: opts.KeyID, Thumbprint: thumb, Status: "not present"}
		opts.IO.Notef("%s has no credential with %s; nothing to remove", describe(obj), what)
		return printRemove(opts.Factory, r)
	}
	removed := *kc
	if len(obj.KeyCredentials) == 1 && !opts.Force {
		return cmdutil.WithHint(cmdutil.InputErrorf("%s is the last certificate credential of %s; removing it leaves no certificate to sign in with", what, describe(obj)),
			"add the new certificate first (azcert entra add), or give --force to remove it anyway")
	}
	if !opts.Yes {
		if err := opts.IO.Confirm(fmt.Sprintf("Remove credential %s (%s) from %s?", removed.KeyID, removed.Thumbprint, describe(obj)), "not removed"); err != nil {
			return err
		}
	}
	r.credResult = resultOf(&removed, opts.Factory.Now())
	if err := writeRemove(ctx, opts, sess, obj, removed.KeyID, proof, &r); err != nil {
		return graphError(fmt.Errorf("removing %s from %s: %w", what, describe(obj), err))
	}
	r.Remaining = others(obj.KeyCredentials, removed.KeyID)
	if r.Status == "removed" {
		opts.IO.Notef("removed %s from %s; %d credential(s) remain", what, describe(obj), len(r.Remaining))
	}
	return printRemove(opts.Factory, r)
}

// removeTarget checks the flags, and --proof-cert's password, before
// anything is sent; it returns --thumbprint in Azure's form and
// --proof-cert, loaded.
func removeTarget(opts *RemoveOptions) (string, *proofKey, error) {
	if err := input.CheckStdin(nil, input.PasswordFlag{Name: "proof-password", Spec: opts.ProofPassword},
		input.PasswordFlag{Name: "access-token", Spec: opts.Entra.AccessToken}); err != nil {
		return "", nil, err
	}
	if err := proofFlagsGiven(opts.ProofCert, opts.ProofPassword); err != nil {
		return "", nil, err
	}
	if opts.KeyID != "" {
		if err := guid("key-id", opts.KeyID); err != nil {
			return "", nil, err
		}
	}
	thumb := ""
	if opts.Thumbprint != "" {
		p, err := export.ParseThumbprint(opts.Thumbprint)
		if err != nil || len(p.Sum) != 20 {
			return "", nil, cmdutil.UsageErrorf("--thumbprint: not a SHA-1 thumbprint (40 hex digits, or the x5t)")
		}
		thumb = export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure)
	}
	if !opts.Yes && !(opts.IO.InTTY && opts.IO.ErrTTY) {
		return "", nil, cmdutil.UsageErrorf("removing needs confirmation: give --yes (there is no terminal to ask on)")
	}
	proof, err := loadProof(opts.Factory, opts.ProofCert, opts.ProofPassword)
	if err != nil {
		return "", nil, err
	}
	return thumb, proof, nil
}

// writeRemove removes the credential keyID from obj, by PATCH or, with
// --proof-cert, removeKey, and fills r's status in.
func writeRemove(ctx context.Context, opts *RemoveOptions, sess *cmdutil.GraphSession, obj *graph.Object, keyID string, pk *proofKey, r *removeResult) error {
	r.Status, r.Method = "not present", "none"
	if pk == nil {
		res, err := sess.Client.RemoveCredential(ctx, obj.Kind, obj.ID, keyID)
		if err != nil {
			return err
		}
		if !res.AlreadyAbsent {
			r.Status, r.Method = "removed", "patch"
		}
		r.Restored = restored(opts.IO, res.Restored)
		return nil
	}
	proof, err := pk.sign(opts.Factory, obj.ID)
	if err != nil {
		return err
	}
	err = sess.Client.RemoveKey(ctx, obj.Kind, obj.ID, keyID, proof)
	switch {
	case graph.IsNotFound(err):
		return nil // removed meanwhile
	case err != nil:
		return err
	}
	r.Status, r.Method = "removed", "removeKey"
	return nil
}

func printRemove(f *cmdutil.Factory, r removeResult) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	line(f, "status", r.Status)
	line(f, "keyId", r.KeyID)
	line(f, "thumbprint", r.Thumbprint)
	line(f, "name", r.DisplayName)
	line(f, r.Kind, r.ObjectID)
	line(f, "appId", r.AppID)
	line(f, "method", r.Method)
	line(f, "remaining", joinOr(r.Remaining))
	if len(r.Restored) > 0 {
		line(f, "restored", joinOr(r.Restored))
	}
	return nil
}
