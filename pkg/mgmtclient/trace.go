package mgmtclient

import (
	"bytes"
	"regexp"
)

// traceHeaders are the headers whose values the --debug trace shows; the
// others are REDACTED.
var traceHeaders = []string{
	"X-Ms-Version", "Content-Type", "Content-Length", "Location",
	"X-Ms-Request-Id", "Retry-After", "Date", "Accept", "User-Agent",
	"X-Ms-Client-Request-Id",
}

var secretElements = regexp.MustCompile(`(?s)<(Password|Data)>.*?</(Password|Data)>`)

// Redact hides passwords and certificate-file data in an XML body. Public
// management-certificate data (SubscriptionCertificateData) is kept.
func Redact(body []byte) []byte {
	return secretElements.ReplaceAllFunc(body, func(m []byte) []byte {
		name := m[1:bytes.IndexByte(m, '>')]
		return []byte("<" + string(name) + ">REDACTED</" + string(name) + ">")
	})
}
