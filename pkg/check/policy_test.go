package check_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/check"
)

const tpA = "8782D8B13494555A3A67303883DD6A8FE3E24DA0"
const tpB = "0A0B08EA2C6790F2CED7BDDD5ACFA9F092167EDA"

// element is a generic parse of the policy for structural checks.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []element  `xml:",any"`
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e element) path() string {
	var b strings.Builder
	var walk func(element, int)
	walk = func(x element, depth int) {
		b.WriteString(strings.Repeat(" ", depth) + x.XMLName.Local + "\n")
		for _, c := range x.Children {
			walk(c, depth+1)
		}
	}
	walk(e, 0)
	return b.String()
}

func parse(t *testing.T, data []byte) element {
	t.Helper()
	var e element
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("the policy is not well-formed XML: %v\n%s", err, data)
	}
	return e
}

func find(e element, name string) (element, bool) {
	if e.XMLName.Local == name {
		return e, true
	}
	for _, c := range e.Children {
		if f, ok := find(c, name); ok {
			return f, true
		}
	}
	return element{}, false
}

func TestPolicyChooseFixedThumbprint(t *testing.T) {
	out, err := check.Policy(check.PolicyOptions{Thumbprints: []string{tpA}})
	if err != nil {
		t.Fatal(err)
	}
	doc := parse(t, out)
	// The structure Microsoft documents for checking a thumbprint.
	want := "policies\n inbound\n  base\n  choose\n   when\n    return-response\n     set-status\n backend\n  base\n outbound\n  base\n on-error\n  base\n"
	if got := doc.path(); got != want {
		t.Errorf("structure:\n%s\nwant:\n%s", got, want)
	}
	when, _ := find(doc, "when")
	if got, want := when.attr("condition"), `@(context.Request.Certificate == null || (context.Request.Certificate.Thumbprint != "`+tpA+`"))`; got != want {
		t.Errorf("condition = %s\nwant        %s", got, want)
	}
	status, _ := find(doc, "set-status")
	if status.attr("code") != "401" {
		t.Errorf("status = %s, want 401", status.attr("code"))
	}
}

func TestPolicyChooseSeveralAndEscaping(t *testing.T) {
	out, err := check.Policy(check.PolicyOptions{Thumbprints: []string{tpA, strings.ToLower(tpB)}, Fragment: true, Status: 403})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("&amp;&amp;")) || bytes.Contains(out, []byte(" && ")) {
		t.Errorf("&& is not escaped in the attribute:\n%s", out)
	}
	when, _ := find(parse(t, out), "when")
	want := `@(context.Request.Certificate == null || (context.Request.Certificate.Thumbprint != "` + tpA + `" && context.Request.Certificate.Thumbprint != "` + tpB + `"))`
	if got := when.attr("condition"); got != want {
		t.Errorf("condition = %s\nwant        %s", got, want)
	}
}

// TestPolicyUploadedIsNegated pins the negation a widely copied version of
// this policy lacks: the request is rejected when the certificate is NOT
// among the uploaded ones.
func TestPolicyUploadedIsNegated(t *testing.T) {
	out, err := check.Policy(check.PolicyOptions{Uploaded: true})
	if err != nil {
		t.Fatal(err)
	}
	when, ok := find(parse(t, out), "when")
	if !ok {
		t.Fatal("no <when>")
	}
	cond := when.attr("condition")
	want := "@(context.Request.Certificate == null || !context.Deployment.Certificates.Any(c => c.Value.Thumbprint == context.Request.Certificate.Thumbprint))"
	if cond != want {
		t.Errorf("condition = %s\nwant        %s", cond, want)
	}
	if strings.Contains(cond, "|| context.Deployment.Certificates.Any") {
		t.Error("the uploaded-certificates test lacks its negation: it would reject the uploaded certificates")
	}
	out, _ = check.Policy(check.PolicyOptions{Uploaded: true, VerifyChain: true})
	when, _ = find(parse(t, out), "when")
	if !strings.Contains(when.attr("condition"), "!context.Request.Certificate.Verify() || !context.Deployment") {
		t.Errorf("VerifyChain: condition = %s", when.attr("condition"))
	}
}

func TestPolicyValidate(t *testing.T) {
	out, err := check.Policy(check.PolicyOptions{Style: check.StyleValidate, Thumbprints: []string{tpA, tpB}, Fragment: true})
	if err != nil {
		t.Fatal(err)
	}
	doc := parse(t, out)
	if doc.XMLName.Local != "validate-client-certificate" || doc.attr("validate-trust") != "false" {
		t.Errorf("root = %s validate-trust=%s", doc.XMLName.Local, doc.attr("validate-trust"))
	}
	ids, _ := find(doc, "identities")
	if len(ids.Children) != 2 || ids.Children[0].attr("thumbprint") != tpA || ids.Children[1].attr("thumbprint") != tpB {
		t.Errorf("identities = %+v", ids.Children)
	}
}

func TestPolicyErrors(t *testing.T) {
	for name, o := range map[string]check.PolicyOptions{
		"neither":           {},
		"both":              {Uploaded: true, Thumbprints: []string{tpA}},
		"bad thumbprint":    {Thumbprints: []string{"XYZ"}},
		"validate uploaded": {Style: check.StyleValidate, Uploaded: true},
		"status not 4xx":    {Thumbprints: []string{tpA}, Status: 302},
		"unknown style":     {Style: "magic", Thumbprints: []string{tpA}},
	} {
		if _, err := check.Policy(o); err == nil {
			t.Errorf("%s: Policy succeeded, want an error", name)
		}
	}
}
