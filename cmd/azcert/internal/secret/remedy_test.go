package secret

import (
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestRemedySource(t *testing.T) {
	for _, tt := range []struct {
		name, spec string
		env        map[string]string
		want       string
	}{
		{name: "none given", want: "prompt"},
		{name: "none given, variable set", env: map[string]string{"AZCERT_IN_PASSWORD": "x"}, want: "env:AZCERT_IN_PASSWORD"},
		{name: "none given, variable empty", env: map[string]string{"AZCERT_IN_PASSWORD": ""}, want: "prompt"},
		{name: "pass is never repeated", spec: "pass:s3cret", want: "prompt"},
		{name: "stdin is used up", spec: "stdin", want: "prompt"},
		{name: "env", spec: "env:PFX_PW", want: "env:PFX_PW"},
		{name: "file", spec: "file:pw.txt", want: "file:pw.txt"},
		{name: "prompt", spec: "prompt", want: "prompt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &cmdutil.Factory{LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
			if got := RemedySource(f, tt.spec); got != tt.want {
				t.Errorf("RemedySource(%q) = %q, want %q", tt.spec, got, tt.want)
			}
		})
	}
}
