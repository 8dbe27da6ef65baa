package secret

import (
	"strings"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// RemedySource is the password source a printed remedy command may repeat
// for a .pfx read with --in-password spec: the one the user gave, unless it
// holds the password itself (pass:) or was used up (stdin), when the
// command asks on the terminal. Without spec it is AZCERT_IN_PASSWORD if
// that is set, else prompt.
func RemedySource(f *cmdutil.Factory, spec string) string {
	switch {
	case spec == "":
		if _, ok := f.Setting("AZCERT_IN_PASSWORD"); ok {
			return "env:AZCERT_IN_PASSWORD"
		}
		return "prompt"
	case spec == "stdin" || strings.HasPrefix(spec, "pass:"):
		return "prompt"
	}
	return spec
}
