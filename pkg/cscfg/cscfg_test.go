package cscfg

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

const (
	fixturePath    = "testdata/ServiceConfiguration.Cloud.cscfg"
	definitionPath = "testdata/ServiceDefinition.csdef"

	// Thumbprints in the fixture.
	webSSL     = "3A2F0C5E9B1D4A7C8E6F0B2D4C6A8E0F1B3D5C7A"
	webSigning = "B8E1A0F3C2D5E4F7A6B9C8D1E0F3A2B5C4D7E6F9"
	workerSSL  = "5d41402abc4b2a76b9719d911017c592ae1b7c1f"
	workerEnc  = "C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D0"
	// commented is the thumbprint in a comment that looks like a
	// Certificate element.
	commented = "0123456789ABCDEF0123456789ABCDEF01234567"

	newThumb = "9F8E7D6C5B4A39281706F5E4D3C2B1A098765432"
)

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureEntries is what Parse must find in the fixture.
var fixtureEntries = []Entry{
	{Role: "WebRole1", Name: "SSL", Thumbprint: webSSL, Algorithm: "sha1", Line: 20},
	{Role: "WebRole1", Name: "Signing", Thumbprint: webSigning, Algorithm: "sha1", Line: 21},
	{Role: "WorkerRole1", Name: "SSL", Thumbprint: workerSSL, Algorithm: "sha1", Line: 31},
	{Role: "WorkerRole1", Name: "Encryption", Thumbprint: workerEnc, Algorithm: "", Line: 32},
}

// TestFixture guards the fixture's awkward features, so that an editor or a
// line-ending conversion that flattens them makes the tests fail instead of
// silently testing less.
func TestFixture(t *testing.T) {
	data := readFixture(t, fixturePath)
	s := string(data)
	checks := []struct {
		what string
		ok   bool
	}{
		{"starts with a UTF-8 BOM and the XML declaration", strings.HasPrefix(s, "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n")},
		{"has only CRLF line endings", strings.Count(s, "\n") > 40 && strings.Count(s, "\n") == strings.Count(s, "\r\n")},
		{"has tabs", strings.Contains(s, "\n\t\t<Certificate ")},
		{"has a comment holding a Certificate element", strings.Contains(s, `<!-- Before the 2024 renewal:`+"\r\n"+`      <Certificate name="SSL" thumbprint="`+commented+`"`)},
		{"has single-quoted attributes", strings.Contains(s, `<Certificate name='Encryption'`)},
		{"has thumbprintAlgorithm before thumbprint and name last", strings.Contains(s, `<Certificate thumbprintAlgorithm="sha1" thumbprint="`+workerSSL+`" name="SSL"/>`)},
		{"has a Certificate without thumbprintAlgorithm", !strings.Contains(s[strings.Index(s, "'Encryption'"):strings.Index(s, "</Certificates>\r\n  </Role>\r\n  <Role name=\"ReportingRole\"")], "thumbprintAlgorithm")},
		{"has a role without Certificates", strings.Contains(s, `<Role name="ReportingRole">`)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("the fixture no longer %s", c.what)
		}
	}
}

func TestParseFixture(t *testing.T) {
	got, err := Parse(readFixture(t, fixturePath))
	if err != nil {
		t.Fatalf("Parse(fixture) error: %v", err)
	}
	if !reflect.DeepEqual(got, fixtureEntries) {
		t.Errorf("Parse(fixture) =\n%+v\nwant\n%+v", got, fixtureEntries)
	}
}

const ns = `xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Entry
	}{
		{
			name: "no certificates",
			in:   `<ServiceConfiguration ` + ns + `><Role name="A"><Instances count="1"/></Role></ServiceConfiguration>`,
			want: []Entry{},
		},
		{
			name: "entity references are decoded",
			in:   `<ServiceConfiguration ` + ns + `><Role name="R&amp;D"><Certificates><Certificate name="S&#83;L" thumbprint="AB" thumbprintAlgorithm="sha1"/></Certificates></Role></ServiceConfiguration>`,
			want: []Entry{{Role: "R&D", Name: "SSL", Thumbprint: "AB", Algorithm: "sha1", Line: 1}},
		},
		{
			name: "a namespace prefix",
			in:   `<sc:ServiceConfiguration xmlns:sc="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"><sc:Role name="A"><sc:Certificates><sc:Certificate name="SSL" thumbprint="AB" /></sc:Certificates></sc:Role></sc:ServiceConfiguration>`,
			want: []Entry{{Role: "A", Name: "SSL", Thumbprint: "AB", Line: 1}},
		},
		{
			name: "Certificate elements elsewhere are not certificates of a role",
			in: "<ServiceConfiguration " + ns + ">\n<Certificates><Certificate name=\"X\" thumbprint=\"AB\"/></Certificates>\n" +
				"<Role name=\"A\"><Certificate name=\"Y\" thumbprint=\"AB\"/>\n<Certificates><Certificate name=\"Z\" thumbprint=\"CD\"/>" +
				"<Other xmlns=\"urn:other\"><Certificate name=\"W\"/></Other></Certificates>" +
				"<Certificates xmlns=\"urn:other\"><Certificate name=\"V\"/></Certificates></Role></ServiceConfiguration>",
			want: []Entry{{Role: "A", Name: "Z", Thumbprint: "CD", Line: 4}},
		},
		{
			name: "start tag with children and attributes across lines",
			in:   "<ServiceConfiguration " + ns + ">\r\n<Role name=\"A\">\r\n<Certificates>\r\n<Certificate\r\n name = 'SSL'\r\n\tthumbprint\t=\t\"AB\" ></Certificate>\r\n</Certificates></Role></ServiceConfiguration>\r\n",
			want: []Entry{{Role: "A", Name: "SSL", Thumbprint: "AB", Line: 4}},
		},
		{
			name: "comments, processing instructions and CDATA around the root",
			in:   "<?xml version='1.0' encoding='UTF-8'?><!-- c --><?pi x?>\n<ServiceConfiguration " + ns + "><![CDATA[<Role name='X'>]]><Role name=\"A\"><Certificates><!-- <Certificate name=\"SSL\" thumbprint=\"00\"/> --><Certificate name=\"SSL\" thumbprint=\"AB\"/></Certificates></Role></ServiceConfiguration><!-- end -->\n",
			want: []Entry{{Role: "A", Name: "SSL", Thumbprint: "AB", Line: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// replaceOnce replaces old, which must occur exactly once in s.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the input, want 1", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// diffBytes describes the first difference between got and want.
func diffBytes(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("first difference at byte %d (len got %d, want %d):\ngot:  %q\nwant: %q",
		i, len(got), len(want), got[from:min(len(got), i+40)], want[from:min(len(want), i+40)])
}

func TestSetThumbprintFixture(t *testing.T) {
	fixture := readFixture(t, fixturePath)
	tests := []struct {
		name, cert, role, thumbprint string
		// replace lists substrings of the fixture and what they become.
		replace [][2]string
		// changed indexes fixtureEntries.
		changed []int
	}{
		{
			name: "all roles",
			cert: "SSL", thumbprint: strings.ToLower(newThumb),
			replace: [][2]string{
				{`thumbprint="` + webSSL + `"`, `thumbprint="` + newThumb + `"`},
				{`thumbprint="` + workerSSL + `"`, `thumbprint="` + newThumb + `"`},
			},
			changed: []int{0, 2},
		},
		{
			name: "one role, attributes in unusual order",
			cert: "SSL", role: "WorkerRole1", thumbprint: newThumb,
			replace: [][2]string{{`thumbprint="` + workerSSL + `"`, `thumbprint="` + newThumb + `"`}},
			changed: []int{2},
		},
		{
			name: "one role, not the comment",
			cert: "SSL", role: "WebRole1", thumbprint: newThumb,
			replace: [][2]string{{`thumbprint="` + webSSL + `"`, `thumbprint="` + newThumb + `"`}},
			changed: []int{0},
		},
		{
			name: "missing algorithm inserted with the element's quotes",
			cert: "Encryption", thumbprint: newThumb,
			replace: [][2]string{{`thumbprint='` + workerEnc + `' />`, `thumbprint='` + newThumb + `' thumbprintAlgorithm='sha1' />`}},
			changed: []int{3},
		},
		{
			name: "thumbprint as copied from Windows, with colons",
			cert: "Signing", thumbprint: "\u200e" + strings.ToLower(colons(newThumb)),
			replace: [][2]string{{`thumbprint="` + webSigning + `"`, `thumbprint="` + newThumb + `"`}},
			changed: []int{1},
		},
		{
			name: "same value",
			cert: "SSL", role: "WebRole1", thumbprint: strings.ToLower(webSSL),
			changed: []int{0},
		},
		{
			name: "same value in lower case is written in upper case",
			cert: "SSL", role: "WorkerRole1", thumbprint: workerSSL,
			replace: [][2]string{{workerSSL, strings.ToUpper(workerSSL)}},
			changed: []int{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := string(fixture)
			for _, r := range tt.replace {
				want = replaceOnce(t, want, r[0], r[1])
			}
			in := bytes.Clone(fixture)
			out, changed, err := SetThumbprint(in, tt.cert, tt.role, tt.thumbprint)
			if err != nil {
				t.Fatalf("SetThumbprint(fixture, %q, %q, %q) error: %v", tt.cert, tt.role, tt.thumbprint, err)
			}
			if !bytes.Equal(in, fixture) {
				t.Error("SetThumbprint modified its input")
			}
			if !bytes.Equal(out, []byte(want)) {
				t.Errorf("SetThumbprint(fixture, %q, %q, %q): %s", tt.cert, tt.role, tt.thumbprint, diffBytes(out, []byte(want)))
			}
			var wantChanged []Entry
			for _, i := range tt.changed {
				wantChanged = append(wantChanged, fixtureEntries[i])
			}
			if !reflect.DeepEqual(changed, wantChanged) {
				t.Errorf("SetThumbprint changed =\n%+v\nwant\n%+v", changed, wantChanged)
			}

			// The result parses and shows the new thumbprint exactly where
			// it was set.
			entries, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(output) error: %v", err)
			}
			wantEntries := append([]Entry(nil), fixtureEntries...)
			for _, i := range tt.changed {
				wantEntries[i].Thumbprint = strings.ToUpper(strings.NewReplacer(":", "", "\u200e", "").Replace(tt.thumbprint))
				wantEntries[i].Algorithm = "sha1"
			}
			if !reflect.DeepEqual(entries, wantEntries) {
				t.Errorf("Parse(output) =\n%+v\nwant\n%+v", entries, wantEntries)
			}
		})
	}
}

func colons(hex string) string {
	var pairs []string
	for i := 0; i < len(hex); i += 2 {
		pairs = append(pairs, hex[i:i+2])
	}
	return strings.Join(pairs, ":")
}

func TestSetThumbprintEdits(t *testing.T) {
	open := "<?xml version=\"1.0\"?>\n<ServiceConfiguration " + ns + ">\n  <Role name=\"A\">\n    <Certificates>\n      "
	end := "\n    </Certificates>\n  </Role>\n</ServiceConfiguration>\n"
	tests := []struct {
		name, in, want string
	}{
		{
			name: "missing thumbprint and algorithm after the name",
			in:   `<Certificate name="SSL" />`,
			want: `<Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1" />`,
		},
		{
			name: "missing thumbprint, single quotes, name not last",
			in:   `<Certificate name='SSL'  other='x'/>`,
			want: `<Certificate name='SSL' thumbprint='` + newThumb + `' thumbprintAlgorithm='sha1'  other='x'/>`,
		},
		{
			name: "missing thumbprint, algorithm present",
			in:   `<Certificate thumbprintAlgorithm="SHA1" name="SSL"/>`,
			want: `<Certificate thumbprintAlgorithm="sha1" name="SSL" thumbprint="` + newThumb + `"/>`,
		},
		{
			name: "another algorithm",
			in:   `<Certificate name="SSL" thumbprint="` + webSSL + `" thumbprintAlgorithm="sha256" />`,
			want: `<Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1" />`,
		},
		{
			name: "empty values",
			in:   `<Certificate name="SSL" thumbprint="" thumbprintAlgorithm=""/>`,
			want: `<Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1"/>`,
		},
		{
			name: "mixed quotes: each attribute keeps its own",
			in:   `<Certificate name='SSL' thumbprint="AB" thumbprintAlgorithm='sha1'/>`,
			want: `<Certificate name='SSL' thumbprint="` + newThumb + `" thumbprintAlgorithm='sha1'/>`,
		},
		{
			name: "inserted algorithm follows the thumbprint's quotes",
			in:   `<Certificate name='SSL' thumbprint="AB"/>`,
			want: `<Certificate name='SSL' thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1"/>`,
		},
		{
			name: "spaces and newlines around the equals sign",
			in:   "<Certificate\n\tname = \"SSL\"\n\tthumbprint =\n\t\t'AB'\n\tthumbprintAlgorithm\t=\t\"sha1\"\n/>",
			want: "<Certificate\n\tname = \"SSL\"\n\tthumbprint =\n\t\t'" + newThumb + "'\n\tthumbprintAlgorithm\t=\t\"sha1\"\n/>",
		},
		{
			name: "> and the other quote inside other values",
			in:   `<Certificate note="a>b 'c'" name="SSL" x='thumbprint="no"' thumbprint="&#65;B">` + `</Certificate>`,
			want: `<Certificate note="a>b 'c'" name="SSL" x='thumbprint="no"' thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1">` + `</Certificate>`,
		},
		{
			name: "prefixed attributes with the same local names are not touched",
			in:   `<Certificate xmlns:x="urn:x" x:thumbprint="keep" name="SSL" x:thumbprintAlgorithm="keep"/>`,
			want: `<Certificate xmlns:x="urn:x" x:thumbprint="keep" name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1" x:thumbprintAlgorithm="keep"/>`,
		},
		{
			name: "the same name twice in one role",
			in:   `<Certificate name="SSL" thumbprint="AB"/><Certificate name="SSL"/>`,
			want: `<Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1"/><Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1"/>`,
		},
		{
			name: "only the named certificate",
			in:   `<Certificate name="Other"/><Certificate name="SSL" thumbprint="AB" thumbprintAlgorithm="sha1"/><Certificate name="SSL2"/>`,
			want: `<Certificate name="Other"/><Certificate name="SSL" thumbprint="` + newThumb + `" thumbprintAlgorithm="sha1"/><Certificate name="SSL2"/>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(open + tt.in + end)
			want := []byte(open + tt.want + end)
			out, _, err := SetThumbprint(in, "SSL", "", newThumb)
			if err != nil {
				t.Fatalf("SetThumbprint error: %v", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("SetThumbprint: %s", diffBytes(out, want))
			}
			entries, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(output) error: %v", err)
			}
			for _, e := range entries {
				if e.Name == "SSL" && (e.Thumbprint != newThumb || e.Algorithm != "sha1") {
					t.Errorf("Parse(output) has %+v, want thumbprint %s and algorithm sha1", e, newThumb)
				}
			}
		})
	}
}

func TestSetThumbprintNotFound(t *testing.T) {
	fixture := readFixture(t, fixturePath)
	tests := []struct {
		name, cert, role string
		want             error
		wantMsg          string
	}{
		{
			name: "undeclared name", cert: "Ssl",
			want:    &NameNotFoundError{Name: "Ssl", Declared: []string{"SSL", "Signing", "Encryption"}},
			wantMsg: `certificate "Ssl" is not declared in the service configuration (declared: "SSL", "Signing", "Encryption")`,
		},
		{
			name: "declared in another role", cert: "Encryption", role: "WebRole1",
			want:    &NameNotFoundError{Name: "Encryption", Role: "WebRole1", Declared: []string{"SSL", "Signing"}},
			wantMsg: `certificate "Encryption" is not declared in role "WebRole1" (declared: "SSL", "Signing")`,
		},
		{
			name: "role without certificates", cert: "SSL", role: "ReportingRole",
			want:    &NameNotFoundError{Name: "SSL", Role: "ReportingRole"},
			wantMsg: `certificate "SSL" is not declared in role "ReportingRole", which declares no certificates`,
		},
		{
			name: "name only in a comment", cert: "Old",
			want:    &NameNotFoundError{Name: "Old", Declared: []string{"SSL", "Signing", "Encryption"}},
			wantMsg: `certificate "Old" is not declared in the service configuration (declared: "SSL", "Signing", "Encryption")`,
		},
		{
			name: "unknown role", cert: "SSL", role: "webrole1",
			want:    &RoleNotFoundError{Role: "webrole1", Roles: []string{"WebRole1", "WorkerRole1", "ReportingRole"}},
			wantMsg: `role "webrole1" is not in the service configuration (roles: "WebRole1", "WorkerRole1", "ReportingRole")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := SetThumbprint(fixture, tt.cert, tt.role, newThumb)
			if err == nil {
				t.Fatalf("SetThumbprint(fixture, %q, %q) succeeded, want an error", tt.cert, tt.role)
			}
			if out != nil || changed != nil {
				t.Errorf("SetThumbprint returned output with an error")
			}
			target := reflect.New(reflect.TypeOf(tt.want))
			if !errors.As(err, target.Interface()) {
				t.Fatalf("SetThumbprint error = %T %v, want %T", err, err, tt.want)
			}
			if got := target.Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SetThumbprint error = %#v, want %#v", got, tt.want)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("SetThumbprint error = %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSetThumbprintBadThumbprint(t *testing.T) {
	fixture := readFixture(t, fixturePath)
	tests := []struct {
		name, thumbprint, wantMsg string
	}{
		{"39 characters", newThumb[:39], "got 39 characters"},
		{"41 characters", newThumb + "A", "got 41 characters"},
		{"not hex", "G" + newThumb[1:], "not a thumbprint"},
		{"empty", "", "got 0 characters"},
		{"SHA-256", strings.Repeat("AB", 32), "SHA-256"},
		{"control character", newThumb[:20] + "\x00" + newThumb[20:], "U+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := SetThumbprint(fixture, "SSL", "", tt.thumbprint)
			var te *ThumbprintError
			if !errors.As(err, &te) {
				t.Fatalf("SetThumbprint(fixture, SSL, %q) error = %v, want a *ThumbprintError", tt.thumbprint, err)
			}
			if te.Thumbprint != tt.thumbprint || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("SetThumbprint(fixture, SSL, %q) error = %v (Thumbprint %q), want it to contain %q", tt.thumbprint, err, te.Thumbprint, tt.wantMsg)
			}
		})
	}
}

// badDocuments are inputs that Parse and SetThumbprint must refuse.
var badDocuments = []struct {
	name, in, wantMsg string
	wantLine          int
}{
	{"empty", "", "the file is empty", 0},
	{"not XML", "serviceName=Contoso\nosFamily=6\n", "text outside the root element", 1},
	{"JSON", `{"ServiceConfiguration": {}}`, "text outside the root element", 1},
	{"broken XML", "<ServiceConfiguration " + ns + ">\n<Role name=\"A\">\n</ServiceConfiguration>", "element <Role> closed by </ServiceConfiguration>", 3},
	{"unclosed", "<ServiceConfiguration " + ns + ">\n<Role name=\"A\">", "unexpected EOF", 2},
	{"DOCTYPE", "<?xml version=\"1.0\"?>\n<!DOCTYPE ServiceConfiguration [<!ENTITY x \"y\">]>\n<ServiceConfiguration " + ns + "/>", "document type declaration", 2},
	{"DOCTYPE with external entity", "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><ServiceConfiguration " + ns + "><Role name=\"&xxe;\"/></ServiceConfiguration>", "document type declaration", 1},
	{"entity declaration outside a DOCTYPE", "<!ENTITY x \"y\">\n<ServiceConfiguration " + ns + "/>", "markup declarations (<!...>) are not allowed", 1},
	{"wrong root", "<?xml version=\"1.0\"?>\n<configuration><appSettings/></configuration>", "the root element is <configuration>; want <ServiceConfiguration>", 2},
	{"a service definition", `<ServiceDefinition xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition"/>`, "this is a service definition (.csdef)", 1},
	{"no namespace", `<ServiceConfiguration serviceName="x"/>`, `the root element <ServiceConfiguration> is in the namespace ""`, 1},
	{"only a comment", "<?xml version=\"1.0\"?>\n<!-- nothing -->\n", "no root element", 0},
	{"second root", "<ServiceConfiguration " + ns + "/>\n<ServiceConfiguration " + ns + "/>", "a second root element", 2},
	{"text after the root", "<ServiceConfiguration " + ns + "/>\nextra", "text outside the root element", 1},
	{"duplicate attribute", "<ServiceConfiguration " + ns + "><Role name=\"A\"><Certificates>\n<Certificate name=\"SSL\" thumbprint=\"AB\" thumbprint=\"CD\"/></Certificates></Role></ServiceConfiguration>", `two attributes called "thumbprint"`, 2},
	{"Certificate without a name", "<ServiceConfiguration " + ns + "><Role name=\"A\"><Certificates>\n<Certificate thumbprint=\"AB\"/></Certificates></Role></ServiceConfiguration>", "has no name attribute", 2},
	{"undefined entity", "<ServiceConfiguration " + ns + "><Role name=\"&foo;\"/></ServiceConfiguration>", "invalid character entity", 1},
	{"UTF-16", "\xff\xfe<\x00S\x00", "UTF-16", 0},
	{"another encoding", "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<ServiceConfiguration " + ns + "/>", `declares the encoding "iso-8859-1"`, 1},
	{"invalid UTF-8", "<ServiceConfiguration " + ns + "><Role name=\"\xff\"/></ServiceConfiguration>", "invalid UTF-8", 1},
	{"too deep", "<ServiceConfiguration " + ns + ">" + strings.Repeat("<a>", maxDepth) + strings.Repeat("</a>", maxDepth) + "</ServiceConfiguration>", "nested more than 64 deep", 1},
	{"too big", "<ServiceConfiguration " + ns + "><!--" + strings.Repeat("x", MaxFileSize) + "--></ServiceConfiguration>", "more than the limit", 0},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range badDocuments {
		t.Run(tt.name, func(t *testing.T) {
			checkFormatError(t, "Parse", tt.wantMsg, tt.wantLine, func() error {
				_, err := Parse([]byte(tt.in))
				return err
			})
			checkFormatError(t, "SetThumbprint", tt.wantMsg, tt.wantLine, func() error {
				_, _, err := SetThumbprint([]byte(tt.in), "SSL", "", newThumb)
				return err
			})
		})
	}
}

func checkFormatError(t *testing.T, fn, wantMsg string, wantLine int, call func() error) {
	t.Helper()
	err := call()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%s error = %v, want a *FormatError", fn, err)
	}
	if !strings.Contains(err.Error(), wantMsg) || fe.Line != wantLine {
		t.Errorf("%s error = %q (line %d), want it to contain %q at line %d", fn, err, fe.Line, wantMsg, wantLine)
	}
	if !strings.HasPrefix(err.Error(), "not a valid service configuration (.cscfg): ") {
		t.Errorf("%s error = %q, want it to say what the file should have been", fn, err)
	}
}

func TestFormatErrorMessage(t *testing.T) {
	tests := []struct {
		err  FormatError
		want string
	}{
		{FormatError{Kind: "service configuration (.cscfg)", Line: 3, Reason: "r"}, "not a valid service configuration (.cscfg): line 3: r"},
		{FormatError{Kind: "service definition (.csdef)", Reason: "r"}, "not a valid service definition (.csdef): r"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("(%+v).Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}
