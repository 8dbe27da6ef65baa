package certgen

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Kind says what a Name stands for in a certificate.
type Kind int

const (
	// KindDNS is a host name, written to the certificate as a dNSName.
	KindDNS Kind = iota
	// KindWildcard is a DNS name whose leftmost label is "*".
	KindWildcard
	// KindIP is an IPv4 or IPv6 address, written as an iPAddress.
	KindIP
)

// Name is one validated certificate name.
type Name struct {
	// Input is the name as the caller gave it.
	Input string
	// ASCII is the form written into the certificate: lower case, with
	// Unicode labels converted to punycode ("xn--...").
	ASCII string
	// Unicode is the display form; equal to ASCII for names that are plain ASCII.
	Unicode string
	// Kind says whether the name is a DNS name, a wildcard or an IP address.
	Kind Kind
	// IP is set when Kind is KindIP.
	IP netip.Addr
}

// IsIDN reports whether the name has Unicode labels (its ASCII form holds punycode).
func (n Name) IsIDN() bool { return n.ASCII != n.Unicode }

// NameError reports a name that cannot go into a certificate.
type NameError struct {
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("invalid name %q: %s", e.Name, e.Reason)
}

// ErrNoNames is returned by ParseNames for an empty list.
var ErrNoNames = errors.New("at least one name is required")

// idnaProfile converts Unicode names to their ASCII form and applies the
// host-name rules of RFC 5890/5891 with STD 3 (letters, digits, hyphens;
// no leading or trailing hyphen in a label; labels of 1 to 63 octets; a
// name of at most 253 octets), which is what a certificate's dNSName must
// hold (RFC 5280 section 4.2.1.6).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
)

// ParseName validates one name and returns its certificate form. It accepts
// DNS names (Unicode names are converted with IDNA), wildcards whose "*" is
// the whole leftmost label, and IPv4 and IPv6 addresses. A single trailing
// dot (a fully qualified name) is dropped.
func ParseName(s string) (Name, error) {
	input := s
	if s == "" {
		return Name{}, &NameError{Name: s, Reason: "the name is empty"}
	}
	if !utf8.ValidString(s) {
		return Name{}, &NameError{Name: s, Reason: "the name is not valid UTF-8 (is the terminal or file in another encoding?)"}
	}
	// The ideographic and full-width full stops are dots to IDNA (UTS #46);
	// turn them into dots first, so a trailing one is dropped like ".".
	s = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".").Replace(s)
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ' ' || r == '\t' {
			return Name{}, &NameError{Name: s, Reason: "the name contains a space or a control character"}
		}
	}
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		if ip.Zone() != "" {
			return Name{}, &NameError{Name: s, Reason: "an IPv6 zone cannot go into a certificate"}
		}
		ip = ip.Unmap()
		return Name{Input: input, ASCII: ip.String(), Unicode: ip.String(), Kind: KindIP, IP: ip}, nil
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/:@") {
		return Name{}, &NameError{Name: s, Reason: "give a host name, not a URL or host:port"}
	}
	host := strings.TrimSuffix(s, ".")
	kind := KindDNS
	if strings.HasPrefix(host, "*.") {
		kind = KindWildcard
		host = host[2:]
	}
	if strings.Contains(host, "*") {
		return Name{}, &NameError{Name: s, Reason: `a wildcard "*" is allowed only as the whole leftmost label, as in *.contoso.net`}
	}
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return Name{}, &NameError{Name: s, Reason: "the name has an empty label (two dots in a row, or a dot at the start)"}
	}
	ascii, err := idnaProfile.ToASCII(host)
	if err != nil {
		return Name{}, &NameError{Name: s, Reason: describeIDNAError(host, err)}
	}
	// IDNA maps some characters to nothing (U+034F, U+200B, soft hyphen),
	// so a label made only of them comes out empty.
	if ascii == "" || strings.HasPrefix(ascii, ".") || strings.HasSuffix(ascii, ".") || strings.Contains(ascii, "..") {
		return Name{}, &NameError{Name: s, Reason: "the name has an empty label once IDNA drops the characters it ignores (such as U+00AD or U+034F)"}
	}
	if isNumericTLD(ascii) {
		return Name{}, &NameError{Name: s, Reason: "the last label is all digits, so this is neither a host name nor an IP address"}
	}
	if kind == KindWildcard && !strings.Contains(ascii, ".") {
		return Name{}, &NameError{Name: s, Reason: "a wildcard needs at least two labels after it, as in *.contoso.net"}
	}
	unicode, err := idna.ToUnicode(ascii)
	if err != nil {
		unicode = ascii
	}
	if kind == KindWildcard {
		ascii, unicode = "*."+ascii, "*."+unicode
	}
	return Name{Input: input, ASCII: ascii, Unicode: unicode, Kind: kind}, nil
}

// ParseNames validates names in order and refuses duplicates (compared in
// their certificate form).
func ParseNames(in []string) ([]Name, error) {
	if len(in) == 0 {
		return nil, ErrNoNames
	}
	seen := make(map[string]bool, len(in))
	out := make([]Name, 0, len(in))
	for _, s := range in {
		n, err := ParseName(s)
		if err != nil {
			return nil, err
		}
		if seen[n.ASCII] {
			continue
		}
		seen[n.ASCII] = true
		out = append(out, n)
	}
	return out, nil
}

func describeIDNAError(host string, err error) string {
	for _, label := range strings.Split(host, ".") {
		switch {
		case len(label) > 63:
			return fmt.Sprintf("the label %q is longer than 63 characters", label)
		case strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-"):
			return fmt.Sprintf("the label %q starts or ends with a hyphen", label)
		case strings.Contains(label, "_"):
			return fmt.Sprintf("the label %q contains an underscore, which host names may not", label)
		}
	}
	if len(host) > 253 {
		return "the name is longer than 253 characters"
	}
	msg := strings.TrimPrefix(err.Error(), "idna: ")
	return "not a valid host name (" + msg + "); use letters, digits and hyphens, or Unicode letters that IDNA can convert"
}

func isNumericTLD(ascii string) bool {
	tld := ascii[strings.LastIndexByte(ascii, '.')+1:]
	if tld == "" {
		return false
	}
	for _, r := range tld {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// azureOwnedSuffixes are domains that Microsoft owns and hands out as
// default host names. Nobody else can obtain a certificate for them, and
// Azure's custom-domain documentation requires the certificate's subject to
// be the custom domain, not one of these.
// https://learn.microsoft.com/azure/cloud-services/cloud-services-configure-ssl-certificate-portal
var azureOwnedSuffixes = []string{
	"cloudapp.net",
	"cloudapp.azure.com",
	"azurewebsites.net",
	"azure-api.net",
	"trafficmanager.net",
	"azureedge.net",
	"azurefd.net",
	"azurestaticapps.net",
	"azurecontainer.io",
	"azurecontainerapps.io",
	"azurecr.io",
	"azure-mobile.net",
	"azurehdinsight.net",
	"core.windows.net",
	"database.windows.net",
	"servicebus.windows.net",
	"vault.azure.net",
	"chinacloudapp.cn",
	"chinacloudsites.cn",
	"usgovcloudapp.net",
	"azurewebsites.us",
}

// AzureOwnedSuffix returns the Azure-owned domain that name falls under, or
// "" if it is not one. name is in its ASCII form; a wildcard is matched by
// the domain after "*.".
func AzureOwnedSuffix(name string) string {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(name, "*."), "."))
	for _, s := range azureOwnedSuffixes {
		if n == s || strings.HasSuffix(n, "."+s) {
			return s
		}
	}
	return ""
}
