package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// WriteJSON prints v as the one JSON value of -o json (docs/json-output.md):
// indented, and with <, > and & as themselves (policy XML stays readable).
func WriteJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(v)
}

// Printable escapes what text from outside (a certificate's names, a file
// such as a .cscfg, an answer from Azure) may carry to take over a
// terminal or forge output lines: control characters such as ESC, BEL and
// line breaks, and invalid UTF-8, are written as Go escapes.
func Printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	// Escape only what cannot be shown (control characters, invisible
	// marks, invalid UTF-8) and the backslash; quotes and the rest stay as
	// they are, so `unknown command "x"` reads as written.
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == '\\':
			b.WriteString(`\\`) // so an escape in the text cannot pass for one made here
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// OrNone is s, or "none" when s is empty.
func OrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// DaysLeft is the whole days from now until t, rounded.
func DaysLeft(t, now time.Time) int {
	return int(t.Sub(now).Round(24*time.Hour).Hours() / 24)
}

// CertExts are the file extensions offered when a command takes a
// certificate file.
var CertExts = []string{"pfx", "p12", "cer", "crt", "der", "pem"}

// FileArgs completes positional arguments with files of the given extensions.
func FileArgs(exts ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

// JoinAnd joins s as prose: "a", "a and b", "a, b and c".
func JoinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := ""
	for i, x := range s {
		switch {
		case i == 0:
			out = x
		case i == len(s)-1:
			out += " and " + x
		default:
			out += ", " + x
		}
	}
	return out
}
