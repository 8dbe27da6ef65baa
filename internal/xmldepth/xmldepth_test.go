package xmldepth

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"flat", "<a><b/><c>text</c></a>", true},
		{"at the limit", strings.Repeat("<a>", 4) + strings.Repeat("</a>", 4), true},
		{"one too deep", strings.Repeat("<a>", 5) + strings.Repeat("</a>", 5), false},
		{"deep and unclosed", strings.Repeat("<a>", 1000), false},
		{"siblings do not add up", strings.Repeat("<a><b/></a>", 100), true},
		{"syntax error is left to the decoder", "<a><<", true},
		{"empty", "", true},
	} {
		err := Check([]byte(tc.doc), 4)
		if (err == nil) != tc.ok {
			t.Errorf("%s: Check = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
