package certgen_test

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/certgen"
)

// labels returns a dotted name made of labels of the given lengths, each
// filled with "a"; labels(63, 63, 63, 61) is 253 characters long.
func labels(lengths ...int) string {
	parts := make([]string, len(lengths))
	for i, n := range lengths {
		parts[i] = strings.Repeat("a", n)
	}
	return strings.Join(parts, ".")
}

func TestParseNameValid(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ascii   string
		unicode string
		kind    certgen.Kind
		ip      netip.Addr
		idn     bool
	}{
		{name: "plain", in: "contoso.net", ascii: "contoso.net", unicode: "contoso.net", kind: certgen.KindDNS},
		{name: "subdomain", in: "www.contoso.net", ascii: "www.contoso.net", unicode: "www.contoso.net", kind: certgen.KindDNS},
		{name: "upper case folded", in: "WWW.Contoso.NET", ascii: "www.contoso.net", unicode: "www.contoso.net", kind: certgen.KindDNS},
		{name: "trailing dot dropped", in: "contoso.net.", ascii: "contoso.net", unicode: "contoso.net", kind: certgen.KindDNS},
		{name: "single label", in: "localhost", ascii: "localhost", unicode: "localhost", kind: certgen.KindDNS},
		{name: "hyphen and digits inside", in: "a-1.123.contoso.net", ascii: "a-1.123.contoso.net", unicode: "a-1.123.contoso.net", kind: certgen.KindDNS},
		{name: "63-character label", in: labels(63) + ".net", ascii: labels(63) + ".net", unicode: labels(63) + ".net", kind: certgen.KindDNS},
		{name: "253-character name", in: labels(63, 63, 63, 61), ascii: labels(63, 63, 63, 61), unicode: labels(63, 63, 63, 61), kind: certgen.KindDNS},
		{name: "wildcard", in: "*.contoso.net", ascii: "*.contoso.net", unicode: "*.contoso.net", kind: certgen.KindWildcard},
		{name: "wildcard upper case with trailing dot", in: "*.CONTOSO.net.", ascii: "*.contoso.net", unicode: "*.contoso.net", kind: certgen.KindWildcard},
		{name: "wildcard deeper", in: "*.eu.contoso.net", ascii: "*.eu.contoso.net", unicode: "*.eu.contoso.net", kind: certgen.KindWildcard},
		{name: "IPv4", in: "192.0.2.10", ascii: "192.0.2.10", unicode: "192.0.2.10", kind: certgen.KindIP, ip: netip.MustParseAddr("192.0.2.10")},
		{name: "IPv6", in: "2001:db8::1", ascii: "2001:db8::1", unicode: "2001:db8::1", kind: certgen.KindIP, ip: netip.MustParseAddr("2001:db8::1")},
		{name: "IPv6 upper case long form", in: "2001:DB8:0:0:0:0:0:1", ascii: "2001:db8::1", unicode: "2001:db8::1", kind: certgen.KindIP, ip: netip.MustParseAddr("2001:db8::1")},
		{name: "IPv6 in brackets", in: "[2001:db8::1]", ascii: "2001:db8::1", unicode: "2001:db8::1", kind: certgen.KindIP, ip: netip.MustParseAddr("2001:db8::1")},
		{name: "IPv6 loopback", in: "::1", ascii: "::1", unicode: "::1", kind: certgen.KindIP, ip: netip.MustParseAddr("::1")},
		{name: "IPv4-mapped IPv6 unmapped", in: "::ffff:192.0.2.10", ascii: "192.0.2.10", unicode: "192.0.2.10", kind: certgen.KindIP, ip: netip.MustParseAddr("192.0.2.10")},
		{name: "IDN to punycode", in: "bücher.de", ascii: "xn--bcher-kva.de", unicode: "bücher.de", kind: certgen.KindDNS, idn: true},
		{name: "IDN upper case", in: "BÜCHER.DE", ascii: "xn--bcher-kva.de", unicode: "bücher.de", kind: certgen.KindDNS, idn: true},
		{name: "punycode shown in Unicode", in: "xn--bcher-kva.de", ascii: "xn--bcher-kva.de", unicode: "bücher.de", kind: certgen.KindDNS, idn: true},
		{name: "IDN wildcard", in: "*.bücher.de", ascii: "*.xn--bcher-kva.de", unicode: "*.bücher.de", kind: certgen.KindWildcard, idn: true},
		{name: "IDN with trailing dot", in: "bücher.de.", ascii: "xn--bcher-kva.de", unicode: "bücher.de", kind: certgen.KindDNS, idn: true},
		{name: "fullwidth letters mapped", in: "\uff43ontoso.net", ascii: "contoso.net", unicode: "contoso.net", kind: certgen.KindDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certgen.ParseName(tt.in)
			if err != nil {
				t.Fatalf("ParseName(%q) error = %v, want nil", tt.in, err)
			}
			want := certgen.Name{Input: tt.in, ASCII: tt.ascii, Unicode: tt.unicode, Kind: tt.kind, IP: tt.ip}
			if got != want {
				t.Errorf("ParseName(%q) = %+v, want %+v", tt.in, got, want)
			}
			if got.IsIDN() != tt.idn {
				t.Errorf("ParseName(%q).IsIDN() = %v, want %v", tt.in, got.IsIDN(), tt.idn)
			}
			if tt.kind == certgen.KindIP && tt.ip.Is4() && !got.IP.Is4() {
				t.Errorf("ParseName(%q).IP = %v, want a 4-byte IPv4 address", tt.in, got.IP)
			}
		})
	}
}

func TestParseNameInvalid(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string // a fragment of NameError.Reason
	}{
		{name: "empty", in: "", reason: "empty"},
		{name: "leading and trailing hyphen", in: "-bad-.com", reason: "hyphen"},
		{name: "trailing hyphen", in: "bad-.com", reason: "hyphen"},
		{name: "two dots", in: "contoso..net", reason: "empty label"},
		{name: "leading dot", in: ".contoso.net", reason: "empty label"},
		{name: "only a dot", in: ".", reason: "empty label"},
		{name: "two trailing dots", in: "contoso.net..", reason: "empty label"},
		// Found by FuzzParseName: IDNA drops U+034F, so the last label was
		// empty after mapping and "0." came out.
		{name: "label of ignored characters", in: "\u034f0\u034f.\u034f", reason: "empty label once IDNA drops"},
		{name: "soft hyphen label", in: "contoso.\u00ad.net", reason: `invalid label "contoso..net"`},
		{name: "space inside", in: "contoso .net", reason: "space or a control character"},
		{name: "leading space", in: " contoso.net", reason: "space or a control character"},
		{name: "tab", in: "contoso.net\t", reason: "space or a control character"},
		{name: "newline", in: "contoso.net\n", reason: "space or a control character"},
		{name: "NUL", in: "contoso\x00.net", reason: "space or a control character"},
		{name: "DEL", in: "contoso\x7f.net", reason: "space or a control character"},
		{name: "underscore", in: "my_host.contoso.net", reason: "underscore"},
		{name: "64-character label", in: labels(64) + ".net", reason: "longer than 63"},
		{name: "254-character name", in: labels(63, 63, 63, 62), reason: "longer than 253"},
		{name: "URL", in: "https://contoso.net", reason: "URL"},
		{name: "URL with path", in: "contoso.net/path", reason: "URL"},
		{name: "host and port", in: "contoso.net:443", reason: "host:port"},
		{name: "user info", in: "user@contoso.net", reason: "URL"},
		{name: "all-numeric TLD", in: "1.2.3", reason: "all digits"},
		{name: "all-numeric TLD after letters", in: "contoso.123", reason: "all digits"},
		{name: "wildcard over a TLD", in: "*.net", reason: "two labels"},
		{name: "partial wildcard", in: "a*.b.com", reason: "leftmost label"},
		{name: "two wildcards", in: "*.*.x.com", reason: "leftmost label"},
		{name: "wildcard not leftmost", in: "www.*.contoso.net", reason: "leftmost label"},
		{name: "bare wildcard", in: "*", reason: "leftmost label"},
		{name: "IPv6 zone", in: "fe80::1%eth0", reason: "zone"},
		{name: "bad punycode", in: "xn--zz.com", reason: "not a valid host name"},
		{name: "symbol", in: "con!toso.net", reason: "not a valid host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certgen.ParseName(tt.in)
			if err == nil {
				t.Fatalf("ParseName(%q) = %+v, want an error", tt.in, got)
			}
			var ne *certgen.NameError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseName(%q) error = %T (%v), want *certgen.NameError", tt.in, err, err)
			}
			if ne.Name != tt.in {
				t.Errorf("ParseName(%q) NameError.Name = %q, want %q", tt.in, ne.Name, tt.in)
			}
			if !strings.Contains(ne.Reason, tt.reason) {
				t.Errorf("ParseName(%q) NameError.Reason = %q, want it to contain %q", tt.in, ne.Reason, tt.reason)
			}
			if !strings.Contains(err.Error(), ne.Reason) {
				t.Errorf("ParseName(%q) error = %q, want it to contain the reason %q", tt.in, err, ne.Reason)
			}
			if got != (certgen.Name{}) {
				t.Errorf("ParseName(%q) = %+v with an error, want the zero Name", tt.in, got)
			}
		})
	}
}

func TestParseNames(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // ASCII forms
	}{
		{name: "one", in: []string{"contoso.net"}, want: []string{"contoso.net"}},
		{name: "order kept", in: []string{"www.contoso.net", "contoso.net", "192.0.2.10", "*.contoso.net"}, want: []string{"www.contoso.net", "contoso.net", "192.0.2.10", "*.contoso.net"}},
		{name: "exact duplicate", in: []string{"contoso.net", "contoso.net"}, want: []string{"contoso.net"}},
		{name: "case and trailing dot duplicates", in: []string{"contoso.net", "www.contoso.net", "CONTOSO.NET", "contoso.net."}, want: []string{"contoso.net", "www.contoso.net"}},
		{name: "Unicode and punycode duplicates", in: []string{"bücher.de", "xn--bcher-kva.de"}, want: []string{"xn--bcher-kva.de"}},
		{name: "IP spellings duplicates", in: []string{"2001:db8::1", "[2001:DB8::1]", "::ffff:192.0.2.1", "192.0.2.1"}, want: []string{"2001:db8::1", "192.0.2.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, err := certgen.ParseNames(tt.in)
			if err != nil {
				t.Fatalf("ParseNames(%q) error = %v, want nil", tt.in, err)
			}
			var got []string
			for _, n := range names {
				got = append(got, n.ASCII)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseNames(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if names[0].Input != tt.in[0] {
				t.Errorf("ParseNames(%q)[0].Input = %q, want %q (the first spelling is kept)", tt.in, names[0].Input, tt.in[0])
			}
		})
	}
}

func TestParseNamesErrors(t *testing.T) {
	for _, in := range [][]string{nil, {}} {
		names, err := certgen.ParseNames(in)
		if !errors.Is(err, certgen.ErrNoNames) {
			t.Errorf("ParseNames(%#v) = %v, %v, want error ErrNoNames", in, names, err)
		}
	}

	in := []string{"contoso.net", "bad..net", "www.contoso.net"}
	names, err := certgen.ParseNames(in)
	var ne *certgen.NameError
	if !errors.As(err, &ne) || ne.Name != "bad..net" {
		t.Errorf("ParseNames(%q) = %v, %v, want a *NameError for %q", in, names, err, "bad..net")
	}
	if names != nil {
		t.Errorf("ParseNames(%q) names = %v with an error, want nil", in, names)
	}
}

func TestAzureOwnedSuffix(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"cloudapp.net", "cloudapp.net"},
		{"foo.cloudapp.net", "cloudapp.net"},
		{"a.b.cloudapp.net", "cloudapp.net"},
		{"WEB.CLOUDAPP.NET", "cloudapp.net"},
		{"foo.cloudapp.net.", "cloudapp.net"},
		{"*.azurewebsites.net", "azurewebsites.net"},
		{"myapi.azure-api.net", "azure-api.net"},
		{"app.trafficmanager.net", "trafficmanager.net"},
		{"vm.westeurope.cloudapp.azure.com", "cloudapp.azure.com"},
		{"account.blob.core.windows.net", "core.windows.net"},
		{"contoso.net", ""},
		{"notcloudapp.net", ""},
		{"cloudapp.net.contoso.com", ""},
		{"azurewebsites.net.evil", ""},
		{"windows.net", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := certgen.AzureOwnedSuffix(tt.in); got != tt.want {
				t.Errorf("AzureOwnedSuffix(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"contoso.net", "WWW.Contoso.NET.", "*.contoso.net", "*.net", "a*.b.com",
		"192.0.2.10", "2001:db8::1", "[::1]", "::ffff:192.0.2.10", "fe80::1%eth0",
		"bücher.de", "xn--bcher-kva.de", "*.bücher.de", "ß.de", "\uff43ontoso.net",
		"-bad-.com", "contoso..net", "my_host.net", "1.2.3", "https://contoso.net", "contoso.net:443",
		labels(63, 63, 63, 61), labels(64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := certgen.ParseName(s)
		if err != nil {
			var ne *certgen.NameError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseName(%q) error = %T, want *certgen.NameError", s, err)
			}
			return
		}
		if n.ASCII == "" || n.Unicode == "" || n.Input != s {
			t.Fatalf("ParseName(%q) = %+v, want Input, ASCII and Unicode set", s, n)
		}
		if n.ASCII != strings.ToLower(n.ASCII) {
			t.Errorf("ParseName(%q).ASCII = %q, want lower case", s, n.ASCII)
		}
		for _, r := range n.ASCII {
			if r > 0x7e || r <= ' ' {
				t.Fatalf("ParseName(%q).ASCII = %q, want printable ASCII only", s, n.ASCII)
			}
		}
		again, err := certgen.ParseName(n.ASCII)
		if err != nil {
			t.Fatalf("ParseName(%q) = %q, but ParseName(%q) error = %v, want nil", s, n.ASCII, n.ASCII, err)
		}
		if again.ASCII != n.ASCII || again.Kind != n.Kind {
			t.Fatalf("ParseName(ParseName(%q).ASCII) = %q kind %d, want %q kind %d", s, again.ASCII, again.Kind, n.ASCII, n.Kind)
		}
	})
}
