package apimclient

import "regexp"

// traceHeaders are the headers whose values the --debug trace shows; the
// others (Authorization above all) are REDACTED.
var traceHeaders = []string{
	"Content-Type", "Content-Length", "Etag", "If-Match", "Location",
	"Retry-After", "X-Ms-Request-Id", "X-Ms-Correlation-Request-Id", "Date", "Accept",
}

var secretJSON = regexp.MustCompile(`"(data|password)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact hides the .pfx data and password of a request body.
func Redact(body []byte) []byte {
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
}
