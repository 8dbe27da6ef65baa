// Package keyvault is azcert keyvault: importing certificates into Azure
// Key Vault (where Cloud Services (extended support), App Service,
// Application Gateway and Front Door take them from), listing, showing,
// deleting (soft, then purged) and recovering them.
package keyvault

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	kv "github.com/azcert/azcert/pkg/keyvault"
)

const groupLong = `Manage the certificates of an Azure key vault, on its data plane
(https://<vault>.vault.azure.net).

The vault is --vault NAME (with --cloud public, china or usgov) or
--vault URL, or AZCERT_VAULT. Authentication: the vault's own challenge says
which tenant and scope the token is for; the token comes from --access-token
SRC, AZCERT_ACCESS_TOKEN, or else the Azure credential chain (environment
variables, workload identity, managed identity, 'az login', 'azd auth login').
The identity needs the certificate permissions of the vault's access policy
(import, get, list, delete, recover, purge) or, with Azure RBAC, a role such
as Key Vault Certificates Officer.`

// NewCmdGroup makes `azcert keyvault`.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keyvault <command>",
		Short: "Key Vault certificates: import, list, show, delete, recover",
		Long:  groupLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert keyvault import, list, show, delete or recover")
		},
	}
	cmd.AddCommand(NewCmdImport(f, nil), NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdDelete(f, nil), NewCmdRecover(f, nil))
	return cmd
}

// vaultError words the errors users can act on: no token, a vault that
// asks for a token for another domain, missing permissions, a name held by
// a deleted certificate.
func vaultError(err error, name, vault string) error {
	var ce *kv.ChallengeError
	if errors.As(err, &ce) {
		return cmdutil.WithHint(&cmdutil.CredentialError{Err: ce},
			"check --vault: give the vault's own URL (https://<name>.vault.azure.net), or the emulator's keyvault-url")
	}
	if errors.As(err, new(*kv.CredentialError)) {
		return connect.CredentialFailure(err)
	}
	var e *kv.Error
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.Code == "ForbiddenByPolicy":
		return cmdutil.WithHint(err, "the vault's access policy must grant this identity the certificate permissions import, get, list, delete, recover and purge (az keyvault set-policy --name <vault> --certificate-permissions ...)")
	case e.Code == "ForbiddenByRbac":
		return cmdutil.WithHint(err, "the vault uses Azure RBAC: assign the identity the role Key Vault Certificates Officer on the vault (az role assignment create --role \"Key Vault Certificates Officer\" ...)")
	case e.StatusCode == http.StatusForbidden:
		return cmdutil.WithHint(err, "the identity needs certificate permissions on the vault (access policy) or the role Key Vault Certificates Officer (RBAC)")
	case kv.IsDeletedButRecoverable(err):
		return cmdutil.WithHint(err, "recover it with 'azcert keyvault recover %s --vault %s', or remove it for good with 'azcert keyvault delete %s --vault %s --purge'", name, vault, name, vault)
	case e.StatusCode == http.StatusUnauthorized:
		return cmdutil.WithHint(err, "the token was refused: get a fresh one (az account get-access-token --resource https://vault.azure.net) or check --access-token (or AZCERT_ACCESS_TOKEN, which holds the token itself)")
	}
	return err
}

// certResult is a certificate as the keyvault commands print it.
type certResult struct {
	Name       string            `json:"name"`
	Version    string            `json:"version,omitempty"`
	ID         string            `json:"id"`
	SID        string            `json:"sid,omitempty"`
	KID        string            `json:"kid,omitempty"`
	X5T        string            `json:"x5t,omitempty"`
	Thumbprint string            `json:"thumbprint,omitempty"`
	NotBefore  *time.Time        `json:"notBefore,omitempty"`
	NotAfter   *time.Time        `json:"notAfter,omitempty"`
	Enabled    bool              `json:"enabled"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    *time.Time        `json:"created,omitempty"`
	Status     string            `json:"status,omitempty"`
	// For a deleted certificate.
	RecoveryID         string     `json:"recoveryId,omitempty"`
	DeletedDate        *time.Time `json:"deletedDate,omitempty"`
	ScheduledPurgeDate *time.Time `json:"scheduledPurgeDate,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func resultOf(c *kv.Certificate, status string) certResult {
	return certResult{Name: c.Name, Version: c.Version, ID: c.ID, SID: c.SID, KID: c.KID, X5T: c.X5T, Thumbprint: c.Thumbprint,
		NotBefore: timePtr(c.NotBefore), NotAfter: timePtr(c.Expires), Enabled: c.Enabled, Tags: c.Tags, Created: timePtr(c.Created), Status: status}
}

func deletedResult(d *kv.DeletedCertificate, status string) certResult {
	r := resultOf(&d.Certificate, status)
	r.RecoveryID, r.DeletedDate, r.ScheduledPurgeDate = d.RecoveryID, timePtr(d.DeletedDate), timePtr(d.ScheduledPurgeDate)
	return r
}

// printCert prints one certificate: JSON, or "key: value" lines.
func printCert(f *cmdutil.Factory, r certResult) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	w := f.IO.Out
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-22s %s\n", k+":", cmdutil.Printable(v))
		}
	}
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	line("name", r.Name)
	line("version", r.Version)
	line("status", r.Status)
	line("id", r.ID)
	line("sid", r.SID)
	line("kid", r.KID)
	line("x5t", r.X5T)
	line("thumbprint", r.Thumbprint)
	line("not before", day(r.NotBefore))
	line("not after", day(r.NotAfter))
	line("enabled", fmt.Sprint(r.Enabled))
	line("tags", tagList(r.Tags))
	line("recovery id", r.RecoveryID)
	line("deleted", day(r.DeletedDate))
	line("scheduled purge", day(r.ScheduledPurgeDate))
	return nil
}

func tagList(tags map[string]string) string {
	var kvs []string
	for k, v := range tags {
		kvs = append(kvs, k+"="+v)
	}
	sort.Strings(kvs)
	return strings.Join(kvs, ",")
}

// checkName refuses, before any request, a name Key Vault would refuse.
func checkName(name string) error {
	if !kv.ValidName(name) {
		return cmdutil.UsageErrorf("%q is not a Key Vault certificate name: 1-127 letters, digits and hyphens", name)
	}
	return nil
}
