package certs

import (
	"slices"
	"strings"
	"testing"
)

func TestExpandNameTemplate(t *testing.T) {
	for _, tc := range []struct {
		tmpl  string
		count int
		want  []string
		err   string
	}{
		{"user{n}", 3, []string{"user1", "user2", "user3"}, ""},
		{"user-{n:03}", 2, []string{"user-001", "user-002"}, ""},
		{"{n:02}.vpn", 1, []string{"01.vpn"}, ""},
		{"u{n:02}", 1000, nil, ""},
		{"user", 2, nil, "has no {n}"},
		{"user}{n", 2, nil, "has no {n}"},
		{"u{n}{n}", 2, nil, "no other braces"},
		{"u{m}", 2, nil, "{m} is not a placeholder"},
		{"u{n:3}", 2, nil, "{n:3} is not a placeholder"},
		{"u{n:00}", 2, nil, "{n:00} is not a placeholder"},
		{"u{n:010}", 2, nil, "is not a placeholder"},
		{"u{n}", 0, nil, "give 1 to 1000"},
		{"u{n}", 1001, nil, "give 1 to 1000"},
	} {
		got, err := ExpandNameTemplate(tc.tmpl, tc.count)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ExpandNameTemplate(%q, %d) = %v, want an error with %q", tc.tmpl, tc.count, err, tc.err)
			}
		case err != nil:
			t.Errorf("ExpandNameTemplate(%q, %d): %v", tc.tmpl, tc.count, err)
		case tc.want != nil && !slices.Equal(got, tc.want):
			t.Errorf("ExpandNameTemplate(%q, %d) = %q, want %q", tc.tmpl, tc.count, got, tc.want)
		case len(got) != tc.count || got[len(got)-1] != strings.Replace(tc.tmpl, "{n:02}", "1000", 1) && tc.want == nil:
			t.Errorf("ExpandNameTemplate(%q, %d): %d names, last %q", tc.tmpl, tc.count, len(got), got[len(got)-1])
		}
	}
}
