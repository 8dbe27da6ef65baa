package network

import "regexp"

// traceHeaders are the headers whose values the --debug trace shows; the
// others (Authorization above all) are REDACTED.
var traceHeaders = []string{
	"Content-Type", "Content-Length", "Etag", "If-Match", "Location", "Azure-AsyncOperation",
	"Retry-After", "X-Ms-Request-Id", "X-Ms-Correlation-Request-Id", "Date", "Accept",
}

// secretJSON matches the members of a gateway that hold secrets: the
// RADIUS server secrets of vpnClientConfiguration, and any other member
// named like a secret or a shared key.
var secretJSON = regexp.MustCompile(`"([A-Za-z]*(?:[Ss]ecret|[Pp]assword|[Ss]haredKey)[A-Za-z]*)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact hides the secrets of a gateway body (RADIUS secrets); the
// certificates' public data stays.
func Redact(body []byte) []byte {
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
}
