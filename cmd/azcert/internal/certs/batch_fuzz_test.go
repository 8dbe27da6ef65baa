package certs

import (
	"errors"
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// FuzzExpandNameTemplate: any template and count either expand to count
// distinct names, each the template with {n} (or {n:0W}) replaced by its
// number, or are refused as bad input; nothing panics.
func FuzzExpandNameTemplate(f *testing.F) {
	for _, s := range []struct {
		tmpl  string
		count int
	}{
		{"user{n}", 3}, {"vpn-{n:03}.contoso.net", 12}, {"{n}", 1}, {"a{n}b{n}", 2},
		{"x{n:0}", 2}, {"x{n:10}", 2}, {"}{n}", 2}, {"no-placeholder", 2}, {"user{n}", 0}, {"user{n}", MaxCount + 1},
	} {
		f.Add(s.tmpl, s.count)
	}
	f.Fuzz(func(t *testing.T, tmpl string, count int) {
		names, err := ExpandNameTemplate(tmpl, count)
		if err != nil {
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ExpandNameTemplate(%q, %d) error %T %v, want a usage error", tmpl, count, err, err)
			}
			return
		}
		if len(names) != count {
			t.Fatalf("ExpandNameTemplate(%q, %d) gave %d names", tmpl, count, len(names))
		}
		open, end := strings.IndexByte(tmpl, '{'), strings.IndexByte(tmpl, '}')
		before, after := tmpl[:open], tmpl[end+1:]
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] || !strings.HasPrefix(n, before) || !strings.HasSuffix(n, after) || strings.ContainsAny(n, "{}") {
				t.Fatalf("ExpandNameTemplate(%q, %d): name %q is repeated or not the template's", tmpl, count, n)
			}
			seen[n] = true
		}
	})
}
