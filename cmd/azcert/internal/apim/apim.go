// Package apim holds `azcert apim` and its commands, which manage the
// client certificates of an API Management service through Azure Resource
// Manager: upload, list and delete.
package apim

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	"github.com/azcert/azcert/pkg/apimclient"
)

const apimLong = `Manage the client certificates an API Management service presents to back ends
for mutual TLS, through Azure Resource Manager.

Authentication: --access-token SRC (a bearer token, e.g. env:TOKEN or from
'az account get-access-token --query accessToken -o tsv'), or else the Azure
credential chain: environment variables (AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload identity,
managed identity, the Azure CLI ('az login') and the Azure Developer CLI.`

// NewCmdGroup makes `azcert apim`, the parent of upload, list and delete.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apim <command>",
		Short: "API Management client certificates (upload, list, delete) through Azure Resource Manager",
		Long:  apimLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.UsageErrorf("give a subcommand: azcert apim upload, list or delete")
		},
	}
	cmd.AddCommand(NewCmdUpload(f, nil), NewCmdList(f, nil), NewCmdDelete(f, nil))
	return cmd
}

// apimError turns credential failures into one line that says what was
// tried and how to log in, and adds hints to ARM errors users can act on.
func apimError(err error) error {
	if errors.As(err, new(*apimclient.CredentialError)) {
		return connect.CredentialFailure(err)
	}
	var e *apimclient.Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusUnauthorized:
			return cmdutil.WithHint(err, "the access token was refused: get a fresh one (az account get-access-token) or check --access-token (or AZCERT_ACCESS_TOKEN, which holds the token itself)")
		case e.StatusCode == http.StatusForbidden:
			return cmdutil.WithHint(err, "the identity needs a role such as API Management Service Contributor on the service")
		case e.Code == "CertificateInUse" || strings.Contains(strings.ToLower(e.Message), "in use") || strings.Contains(strings.ToLower(e.Message), "referenced"):
			return cmdutil.WithHint(err, "detach the certificate from the back ends (or APIs) that use it, then delete it")
		}
	}
	return err
}

// certResult is a certificate of the service as upload and list print it.
type certResult struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Thumbprint string    `json:"thumbprint"`
	NotAfter   time.Time `json:"notAfter"`
	DaysLeft   int       `json:"daysLeft"`
	Status     string    `json:"status,omitempty"`
}

// resultOf is c as printed at now, with the status of an upload ("" in a
// list).
func resultOf(c apimclient.Certificate, now time.Time, status string) certResult {
	return certResult{ID: c.ID, Subject: c.Subject, Thumbprint: c.Thumbprint, NotAfter: c.ExpirationDate.UTC(),
		DaysLeft: cmdutil.DaysLeft(c.ExpirationDate, now), Status: status}
}
