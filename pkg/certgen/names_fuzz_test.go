package certgen

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseNames checks the list form used by new and rotate: it never
// panics, fails only with a *NameError (or ErrNoNames), keeps the first
// occurrence of each name in order, and every name it returns parses again
// to itself.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{"contoso.net www.contoso.net", "*.contoso.net contoso.net *.CONTOSO.net.", "bücher.de xn--bcher-kva.de",
		"10.0.0.1 ::ffff:10.0.0.1 [::1]", "a\x00b", "contoso.net\u3002 contoso.net", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := strings.Split(s, " ")
		if s == "" {
			in = nil
		}
		names, err := ParseNames(in)
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) && !errors.Is(err, ErrNoNames) {
				t.Fatalf("ParseNames(%q) error = %T %v", in, err, err)
			}
			if names != nil {
				t.Fatalf("ParseNames(%q) returned names with the error %v", in, err)
			}
			return
		}
		if len(names) == 0 || len(names) > len(in) {
			t.Fatalf("ParseNames(%q) = %d names", in, len(names))
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n.ASCII] {
				t.Fatalf("ParseNames(%q) kept %s twice", in, n.ASCII)
			}
			seen[n.ASCII] = true
			again, err := ParseName(n.ASCII)
			if err != nil || again.ASCII != n.ASCII {
				t.Fatalf("ParseName(%q) = %q, %v; want it back unchanged", n.ASCII, again.ASCII, err)
			}
			if strings.ContainsFunc(n.ASCII, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				t.Fatalf("ParseNames(%q) returned a non-ASCII certificate name %q", in, n.ASCII)
			}
		}
		if first, _ := ParseName(in[0]); names[0].ASCII != first.ASCII {
			t.Fatalf("ParseNames(%q)[0] = %s, want the first name %s", in, names[0].ASCII, first.ASCII)
		}
	})
}
