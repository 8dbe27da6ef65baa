package cscfg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzSeeds are the fixture, small documents with the awkward cases of the
// unit tests, and the documents that must be refused.
func fuzzSeeds(f *testing.F) [][]byte {
	open := "<?xml version=\"1.0\"?>\n<ServiceConfiguration " + ns + ">\n  <Role name=\"A\">\n    <Certificates>\n      "
	end := "\n    </Certificates>\n  </Role>\n</ServiceConfiguration>\n"
	seeds := [][]byte{
		readFixture(f, fixturePath),
		readFixture(f, definitionPath),
		[]byte(open + `<Certificate name="SSL" />` + end),
		[]byte(open + `<Certificate thumbprintAlgorithm='SHA1' name='SSL'/>` + end),
		[]byte(open + "<Certificate\r\n\tname = \"SSL\"\r\n\tthumbprint =\r\n\t\t'AB'\r\n/>" + end),
		[]byte(open + `<Certificate note="a>b 'c'" name="SSL" x='thumbprint="no"' thumbprint="&#65;B"></Certificate>` + end),
		[]byte(open + `<Certificate xmlns:x="urn:x" x:thumbprint="keep" name="SSL" x:thumbprintAlgorithm="keep"/>` + end),
		[]byte("<sc:ServiceConfiguration xmlns:sc=\"http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration\"><sc:Role name=\"A\"><sc:Certificates><sc:Certificate name=\"SSL\" thumbprint=\"AB\" /></sc:Certificates></sc:Role></sc:ServiceConfiguration>"),
	}
	for _, d := range badDocuments {
		if len(d.in) < 4096 {
			seeds = append(seeds, []byte(d.in))
		}
	}
	return seeds
}

// isPackageError reports whether err is one of the documented error types.
func isPackageError(err error) bool {
	return errors.As(err, new(*FormatError)) || errors.As(err, new(*NameNotFoundError)) ||
		errors.As(err, new(*RoleNotFoundError)) || errors.As(err, new(*ThumbprintError)) ||
		errors.As(err, new(*DefinitionMismatchError))
}

// FuzzSetThumbprint checks that SetThumbprint never panics, fails only with
// its documented errors (and exactly when Parse fails, for a valid
// thumbprint), and when it succeeds changes nothing but the thumbprint and
// thumbprintAlgorithm attributes of the certificates it reports.
func FuzzSetThumbprint(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, "SSL", "", newThumb, uint8(i))
		f.Add(s, "SSL", "WorkerRole1", strings.ToLower(colons(newThumb)), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, name, role, thumbprint string, pick uint8) {
		entries, perr := Parse(data)
		if perr != nil && !errors.As(perr, new(*FormatError)) {
			t.Fatalf("Parse error is not a *FormatError: %T %v", perr, perr)
		}
		// Often edit a certificate the file has, so that the fuzzer
		// explores successful edits and not only "not declared".
		if perr == nil && len(entries) > 0 && pick%2 == 1 {
			e := entries[int(pick/4)%len(entries)]
			name, role = e.Name, ""
			if pick%4 == 3 {
				role = e.Role
			}
		}
		out, changed, err := SetThumbprint(data, name, role, thumbprint)
		if err != nil {
			if out != nil || changed != nil {
				t.Fatalf("SetThumbprint returned output with the error %v", err)
			}
			if !isPackageError(err) {
				t.Fatalf("SetThumbprint error is not a documented type: %T %v", err, err)
			}
			if perr != nil && !errors.As(err, new(*ThumbprintError)) && err.Error() != perr.Error() {
				t.Fatalf("SetThumbprint error %q, Parse error %q", err, perr)
			}
			if perr == nil && errors.As(err, new(*FormatError)) {
				t.Fatalf("SetThumbprint refused a file Parse accepts: %v", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("SetThumbprint succeeded on a file Parse refuses (%v)", perr)
		}
		value, verr := normalizeThumbprint(thumbprint)
		if verr != nil || len(value) != 40 || strings.ToUpper(value) != value {
			t.Fatalf("SetThumbprint accepted the thumbprint %q (%q, %v)", thumbprint, value, verr)
		}
		checkEdit(t, data, out, entries, changed, name, role, value)

		// Now that every edited certificate has a 40-digit thumbprint and
		// "sha1", setting another thumbprint must change exactly those
		// digits and nothing else, and setting the first one again must
		// give back out byte for byte.
		other := strings.Repeat("0", 40)
		if value == other {
			other = strings.Repeat("1", 40)
		}
		out2, changed2, err := SetThumbprint(out, name, role, other)
		if err != nil {
			t.Fatalf("SetThumbprint(out) error: %v", err)
		}
		if len(changed2) != len(changed) || len(out2) != len(out) {
			t.Fatalf("second SetThumbprint changed %d certificates and %d→%d bytes, want %d certificates and no change in length", len(changed2), len(out), len(out2), len(changed))
		}
		diff := 0
		for i := range out {
			if out[i] != out2[i] {
				diff++
				if out2[i] != other[0] || !strings.ContainsRune(value, rune(out[i])) {
					t.Fatalf("second SetThumbprint changed byte %d from %q to %q", i, out[i], out2[i])
				}
			}
		}
		if diff > 40*len(changed) {
			t.Fatalf("second SetThumbprint changed %d bytes for %d certificates", diff, len(changed))
		}
		back, _, err := SetThumbprint(out2, name, role, value)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("setting the thumbprint back did not restore the file (error %v)", err)
		}
		again, _, err := SetThumbprint(out, name, role, value)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("setting the same thumbprint again changed the file (error %v)", err)
		}
	})
}

// checkEdit checks out = SetThumbprint(in, name, role, value) against in,
// without using the package's own scanner.
func checkEdit(t *testing.T, in, out []byte, entries, changed []Entry, name, role, value string) {
	t.Helper()
	var want []Entry
	for _, e := range entries {
		if e.Name == name && (role == "" || e.Role == role) {
			want = append(want, e)
		}
	}
	if !reflect.DeepEqual(changed, want) {
		t.Fatalf("SetThumbprint changed = %+v, want %+v", changed, want)
	}
	outEntries, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(SetThumbprint output) error: %v", err)
	}
	if len(outEntries) != len(entries) {
		t.Fatalf("Parse(output) has %d entries, the input %d", len(outEntries), len(entries))
	}
	for i, e := range entries {
		if e.Name == name && (role == "" || e.Role == role) {
			e.Thumbprint, e.Algorithm = value, Algorithm
		}
		if outEntries[i] != e {
			t.Fatalf("Parse(output)[%d] = %+v, want %+v", i, outEntries[i], e)
		}
	}

	// Token by token, the raw bytes are the same except for start tags of
	// Certificate elements, which differ only in thumbprint and
	// thumbprintAlgorithm.
	inToks, outToks := rawTokens(t, in), rawTokens(t, out)
	if len(inToks) != len(outToks) {
		t.Fatalf("the output has %d tokens, the input %d", len(outToks), len(inToks))
	}
	edited := 0
	for i := range inToks {
		a, b := inToks[i], outToks[i]
		if bytes.Equal(a.raw, b.raw) {
			continue
		}
		edited++
		sa, ok1 := a.tok.(xml.StartElement)
		sb, ok2 := b.tok.(xml.StartElement)
		if !ok1 || !ok2 || sa.Name.Local != "Certificate" || sb.Name != sa.Name {
			t.Fatalf("token %d changed from %q to %q", i, a.raw, b.raw)
		}
		if !slices.Equal(otherAttrs(sa.Attr), otherAttrs(sb.Attr)) {
			t.Fatalf("the attributes of %q changed to %q", a.raw, b.raw)
		}
		tp, alg, hasTP, hasAlg := thumbprintAttrs(sb.Attr)
		if !hasTP || !hasAlg || tp != value || alg != Algorithm {
			t.Fatalf("edited tag %q has thumbprint %q and algorithm %q", b.raw, tp, alg)
		}
		// Without entity or character references or carriage returns,
		// values are written as decoded, and the change in length is
		// exactly what the new values and inserted attributes account for.
		if !bytes.ContainsAny(a.raw, "&\r") {
			oldTP, oldAlg, hadTP, hadAlg := thumbprintAttrs(sa.Attr)
			grow := len(value) - len(oldTP) + len(Algorithm) - len(oldAlg)
			if !hadTP {
				grow += len(` thumbprint=""`)
			}
			if !hadAlg {
				grow += len(` thumbprintAlgorithm=""`)
			}
			if len(b.raw)-len(a.raw) != grow {
				t.Fatalf("tag %q became %q: %d bytes longer, want %d", a.raw, b.raw, len(b.raw)-len(a.raw), grow)
			}
		}
	}
	if edited > len(changed) {
		t.Fatalf("%d tags changed for %d certificates", edited, len(changed))
	}
}

type rawToken struct {
	tok xml.Token
	raw []byte
}

func rawTokens(t *testing.T, data []byte) []rawToken {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var toks []rawToken
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			return toks
		}
		if err != nil {
			t.Fatalf("tokenising: %v", err)
		}
		toks = append(toks, rawToken{xml.CopyToken(tok), data[start:d.InputOffset()]})
	}
}

func isThumbprintAttr(a xml.Attr) bool {
	return a.Name.Space == "" && (a.Name.Local == "thumbprint" || a.Name.Local == "thumbprintAlgorithm")
}

func otherAttrs(attrs []xml.Attr) []xml.Attr {
	var o []xml.Attr
	for _, a := range attrs {
		if !isThumbprintAttr(a) {
			o = append(o, a)
		}
	}
	return o
}

func thumbprintAttrs(attrs []xml.Attr) (tp, alg string, hasTP, hasAlg bool) {
	for _, a := range attrs {
		switch {
		case !isThumbprintAttr(a):
		case a.Name.Local == "thumbprint":
			tp, hasTP = a.Value, true
		default:
			alg, hasAlg = a.Value, true
		}
	}
	return
}

// FuzzDefinedCertificates checks that reading a service definition never
// panics and fails only with a *FormatError, and that
// CheckAgainstDefinition copes with any definition.
func FuzzDefinedCertificates(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	cscfg := readFixture(f, fixturePath)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DefinedCertificates(data)
		if err != nil {
			if m != nil || !errors.As(err, new(*FormatError)) {
				t.Fatalf("DefinedCertificates = %v, %T %v", m, err, err)
			}
		} else {
			for role, names := range m {
				if names == nil {
					t.Fatalf("DefinedCertificates maps %q to nil", role)
				}
			}
		}
		for _, role := range []string{"", "WebRole1"} {
			if err := CheckAgainstDefinition(cscfg, data, "SSL", role); err != nil && !isPackageError(err) {
				t.Fatalf("CheckAgainstDefinition error is not a documented type: %T %v", err, err)
			}
		}
	})
}
