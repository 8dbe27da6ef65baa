package policy

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

func TestNewCmdAPIM(t *testing.T) {
	const tp1, tp2 = "3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345", "AABBCCDDEEFF00112233445566778899AABBCCDD"
	def := APIMOptions{Style: "choose", Status: 401}
	with := func(change func(*APIMOptions)) APIMOptions { o := def; change(&o); return o }
	tests := []struct {
		name    string
		args    []string
		want    APIMOptions
		wantErr string
	}{
		{name: "defaults", args: nil, want: def},
		{name: "thumbprints", args: []string{"--thumbprint", tp1, "--thumbprint", tp2},
			want: with(func(o *APIMOptions) { o.Thumbprints = []string{tp1, tp2} })},
		{name: "certs", args: []string{"--cert", "a.cer", "--cert", "b.pfx", "--in-password", "env:PW"},
			want: with(func(o *APIMOptions) { o.Certs, o.InPassword = []string{"a.cer", "b.pfx"}, "env:PW" })},
		{name: "uploaded fragment", args: []string{"--uploaded", "--fragment", "--status", "403", "--verify-chain"},
			want: with(func(o *APIMOptions) { o.Uploaded, o.Fragment, o.Status, o.VerifyChain = true, true, 403, true })},
		{name: "style", args: []string{"--style", "validate", "--thumbprint", tp1},
			want: with(func(o *APIMOptions) { o.Style, o.Thumbprints = "validate", []string{tp1} })},
		{name: "an argument", args: []string{"a.cer"}, wantErr: `unknown command "a.cer"`},
		{name: "bad status", args: []string{"--status", "four"}, wantErr: `invalid argument "four" for "--status"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cmdutil.Factory{
				IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}, ColorOff: true},
				Now:       func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) },
				LookupEnv: func(string) (string, bool) { return "", false },
			}
			var got *APIMOptions
			cmd := NewCmdAPIM(f, func(o *APIMOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("policy apim %q: err = %v (run: %v), want %q before running", tt.args, err, got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("policy apim %q: %v", tt.args, err)
			}
			if got.IO != f.IO || got.Factory != f || got.Ctx == nil {
				t.Errorf("policy apim %q: IO, Factory or Ctx not set", tt.args)
			}
			got.IO, got.Factory, got.Ctx = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("policy apim %q: options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

// TestCheckAPIMFlags: the combinations that make no policy are usage
// errors, each with its own message.
func TestCheckAPIMFlags(t *testing.T) {
	const tp = "3B4E0C1F9A2B6D7E8F9012345678ABCDEF012345"
	tests := []struct {
		name string
		opts APIMOptions
		want string // "" for no error
	}{
		{"thumbprint", APIMOptions{Style: "choose", Status: 401, Thumbprints: []string{tp}}, ""},
		{"uploaded", APIMOptions{Style: "choose", Status: 403, Uploaded: true}, ""},
		{"uploaded and a thumbprint", APIMOptions{Style: "choose", Status: 401, Uploaded: true, Thumbprints: []string{tp}}, "does not combine with --thumbprint or --cert"},
		{"nothing accepted", APIMOptions{Style: "choose", Status: 401}, "give --thumbprint, --cert or --uploaded"},
		{"unknown style", APIMOptions{Style: "when", Status: 401, Thumbprints: []string{tp}}, `--style "when": want choose or validate`},
		{"validate uploaded", APIMOptions{Style: "validate", Status: 401, Uploaded: true}, "--uploaded works with --style choose"},
		{"validate verify-chain", APIMOptions{Style: "validate", Status: 401, Thumbprints: []string{tp}, VerifyChain: true}, "--verify-chain is for --style choose"},
		{"status 500", APIMOptions{Style: "choose", Status: 500, Thumbprints: []string{tp}}, "--status 500: want a 4xx status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAPIMFlags(&tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkAPIMFlags(%+v) = %v, want nil", tt.opts, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || cmdutil.ExitCode(err) != cmdutil.ExitCode(&cmdutil.UsageError{Err: err})):
				t.Errorf("checkAPIMFlags(%+v) = %v, want the usage error %q", tt.opts, err, tt.want)
			}
		})
	}
}
