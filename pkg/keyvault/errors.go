package keyvault

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/azcert/azcert/pkg/azhttp"
)

// Error is a Key Vault error answer: status, code, message and
// x-ms-request-id. Its Code is the innermost code of the answer
// (ForbiddenByPolicy rather than Forbidden), the one that says what to do.
type Error = azhttp.Error

// RetryInfo describes a retry about to happen: the attempt that failed
// (Attempt of Of), its answer ("429", "503 ServiceUnavailable"), and the
// wait.
type RetryInfo = azhttp.RetryInfo

// UnavailableError reports that Key Vault could not be reached, or gave no
// usable answer ("Azure Key Vault is unreachable: ...", "... is
// unavailable: ...", "Azure Key Vault's answer cannot be used: ...").
type UnavailableError = azhttp.UnavailableError

// CredentialError reports that no token could be had: the credential
// failed, or the vault's challenge was refused (a *ChallengeError inside).
type CredentialError = azhttp.CredentialError

// maxInnerErrors bounds how deep ParseError follows innererror.
const maxInnerErrors = 16

// keyVaultError is Key Vault's error shape, innererror nesting.
// https://learn.microsoft.com/rest/api/keyvault/certificates/get-certificate/get-certificate#keyvaulterror
type keyVaultError struct {
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	InnerError *keyVaultError `json:"innererror"`
}

// ParseError reads a Key Vault error body,
// {"error":{"code":"Forbidden","message":"...","innererror":{"code":"ForbiddenByPolicy"}}}:
// the code is the innermost one given, the message the outer one. ok is
// false unless the body is such JSON with a code.
func ParseError(body []byte) (code, message string, ok bool) {
	var b struct {
		Error *keyVaultError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return "", "", false
	}
	code, message = b.Error.Code, b.Error.Message
	for e, depth := b.Error.InnerError, 0; e != nil && depth < maxInnerErrors; e, depth = e.InnerError, depth+1 {
		if e.Code != "" {
			code = e.Code
		}
		if message == "" {
			message = e.Message
		}
	}
	return code, message, code != ""
}

// IsNotFound reports a 404 answer: no such certificate, version or deleted
// certificate.
func IsNotFound(err error) bool { return azhttp.IsNotFound(err) }

// IsForbidden reports a 403 answer: the caller lacks an access policy
// permission (ForbiddenByPolicy) or an Azure RBAC role (ForbiddenByRbac),
// or the firewall refused it (ForbiddenByFirewall).
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusForbidden
}

// IsDeletedButRecoverable reports the 409 Key Vault gives for a name that
// belongs to a soft-deleted certificate: recover it or purge it first.
func IsDeletedButRecoverable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusConflict &&
		strings.Contains(strings.ToLower(e.Message), "deleted but recoverable")
}
