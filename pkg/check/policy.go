package check

import (
	"bytes"
	"fmt"
	"strings"
)

// PolicyStyle selects how an API Management policy checks a client certificate.
type PolicyStyle string

const (
	// StyleChoose is a <choose>/<when> over context.Request.Certificate.
	StyleChoose PolicyStyle = "choose"
	// StyleValidate is the validate-client-certificate policy.
	StyleValidate PolicyStyle = "validate"
)

// PolicyOptions describes the policy to write.
type PolicyOptions struct {
	Style PolicyStyle
	// Thumbprints are the accepted SHA-1 thumbprints (upper-case hex).
	Thumbprints []string
	// Uploaded accepts the client certificates uploaded to the API
	// Management service instead of a fixed list (choose style only).
	Uploaded bool
	// Status is the HTTP status of the rejection; 0 means 401.
	Status int
	// Fragment writes only the check, not a whole <policies> document.
	Fragment bool
	// VerifyChain also requires context.Request.Certificate.Verify(), a
	// chain check that self-signed certificates fail unless their issuer
	// is uploaded as a CA certificate (choose style only).
	VerifyChain bool
}

// Policy writes an API Management inbound policy that rejects a request
// unless its client certificate is acceptable. The output is well-formed
// XML: the C# expressions are escaped where they sit in attributes.
//
// For uploaded certificates the condition is negated, so requests whose
// certificate is NOT uploaded are rejected; a widely copied version of this
// policy lacks the "!" and rejects exactly the uploaded ones.
// https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates-for-clients
func Policy(o PolicyOptions) ([]byte, error) {
	status := o.Status
	if status == 0 {
		status = 401
	}
	if status < 400 || status > 499 {
		return nil, fmt.Errorf("status %d is not a 4xx client error", status)
	}
	if o.Uploaded == (len(o.Thumbprints) > 0) {
		return nil, fmt.Errorf("give thumbprints or choose the uploaded certificates, not both or neither")
	}
	for _, t := range o.Thumbprints {
		if len(t) != 40 || strings.Trim(strings.ToUpper(t), "0123456789ABCDEF") != "" {
			return nil, fmt.Errorf("%q is not a SHA-1 thumbprint", t)
		}
	}
	var body bytes.Buffer
	indent := "        "
	if o.Fragment {
		indent = ""
	}
	line := func(depth int, format string, a ...any) {
		fmt.Fprintf(&body, "%s%s%s\n", indent, strings.Repeat("    ", depth), fmt.Sprintf(format, a...))
	}
	switch o.Style {
	case "", StyleChoose:
		var cond string
		verify := ""
		if o.VerifyChain {
			verify = "!context.Request.Certificate.Verify() || "
		}
		if o.Uploaded {
			cond = "context.Request.Certificate == null || " + verify +
				"!context.Deployment.Certificates.Any(c => c.Value.Thumbprint == context.Request.Certificate.Thumbprint)"
		} else {
			var parts []string
			for _, t := range o.Thumbprints {
				parts = append(parts, fmt.Sprintf("context.Request.Certificate.Thumbprint != %q", strings.ToUpper(t)))
			}
			cond = "context.Request.Certificate == null || " + verify + "(" + strings.Join(parts, " && ") + ")"
		}
		line(0, "<choose>")
		line(1, `<when condition="%s">`, attr("@("+cond+")"))
		line(2, "<return-response>")
		line(3, `<set-status code="%d" reason="%s" />`, status, attr(reasonFor(status)))
		line(2, "</return-response>")
		line(1, "</when>")
		line(0, "</choose>")
	case StyleValidate:
		if o.Uploaded {
			return nil, fmt.Errorf("the validate style needs thumbprints; for uploaded certificates use the choose style")
		}
		line(0, `<validate-client-certificate validate-revocation="false" validate-trust="false" validate-not-before="true" validate-not-after="true" ignore-error="false">`)
		line(1, "<identities>")
		for _, t := range o.Thumbprints {
			line(2, `<identity thumbprint="%s" />`, strings.ToUpper(t))
		}
		line(1, "</identities>")
		line(0, "</validate-client-certificate>")
	default:
		return nil, fmt.Errorf("unknown policy style %q (choose choose or validate)", o.Style)
	}
	if o.Fragment {
		return body.Bytes(), nil
	}
	var out bytes.Buffer
	out.WriteString("<policies>\n    <inbound>\n        <base />\n")
	out.Write(body.Bytes())
	out.WriteString("    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n")
	return out.Bytes(), nil
}

func reasonFor(status int) string {
	if status == 401 {
		return "Invalid client certificate"
	}
	return "Client certificate not allowed"
}

// attr escapes s for a double-quoted XML attribute: &, < and " are the
// characters that must be escaped there; ">" stays readable (as in "=>").
func attr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s)
}
