package graph

import "regexp"

// traceHeaders are the headers whose values the --debug trace shows; the
// others are REDACTED, and Authorization always is. Graph names its
// request ids request-id and client-request-id, and tells of throttling
// in Retry-After.
// https://learn.microsoft.com/graph/best-practices-concept#reliability-and-support
var traceHeaders = []string{
	"Accept", "Content-Type", "Content-Length", "Date", "Retry-After",
	"Request-Id", "Client-Request-Id", "X-Ms-Ags-Diagnostic", "X-Ms-Resource-Unit",
	"X-Ms-Throttle-Limit-Percentage", "X-Ms-Throttle-Scope", "X-Ms-Throttle-Information",
}

// secretJSON matches what a trace must not show of a keyCredentials body
// or an addKey/removeKey body: the certificates (key) and the proofs of
// possession (proof), which are signed by the application's key and
// accepted by Graph for ten minutes.
var secretJSON = regexp.MustCompile(`"(key|proof)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact hides the certificates and the proofs in a request or answer
// body, for the trace.
func Redact(body []byte) []byte {
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
}
