package keyvault

import "regexp"

// traceHeaders are the headers whose values the --debug trace shows; the
// others are REDACTED, and Authorization always is. WWW-Authenticate
// shows the challenge (tenant and resource, no secret).
var traceHeaders = []string{
	"Accept", "Content-Type", "Content-Length", "Date", "Retry-After", "WWW-Authenticate",
	"X-Ms-Request-Id", "X-Ms-Client-Request-Id", "X-Ms-Keyvault-Service-Version",
	"X-Ms-Keyvault-Region", "X-Ms-Keyvault-Network-Info",
}

// secretJSON matches the secrets of an import body: the certificate with
// its private key (value) and its password (pwd). A list's "value" is an
// array and stays.
var secretJSON = regexp.MustCompile(`"(value|pwd)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact hides the certificate, its private key and its password in a
// request or answer body, for the trace.
func Redact(body []byte) []byte {
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
}
