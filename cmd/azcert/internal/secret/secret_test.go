package secret

import (
	"strings"
	"testing"
)

func TestParsePasswordSource(t *testing.T) {
	tests := []struct {
		in       string
		kind     string
		wantErr  string
		noSecret string
	}{
		{in: "pass:x", kind: "pass"},
		{in: "pass:", kind: "pass"},
		{in: "env:PW", kind: "env"},
		{in: "file:/tmp/p", kind: "file"},
		{in: "fd:3", kind: "fd"},
		{in: "stdin", kind: "stdin"},
		{in: "prompt", kind: "prompt"},
		{in: "generate", kind: "generate"},
		{in: "none", kind: "none"},
		{in: "env:", wantErr: "needs a variable name"},
		{in: "file:", wantErr: "needs a path"},
		{in: "fd:-1", wantErr: "file descriptor"},
		{in: "fd:x", wantErr: "file descriptor"},
		{in: "hunter2", wantErr: "not a password source", noSecret: "hunt"},
		{in: "MyPassw0rd", wantErr: "not a password source", noSecret: "MyPa"},
		{in: "correcthorsebatterystaple", wantErr: "not a password source", noSecret: "corr"},
		{in: "secret:correcthorse", wantErr: "not a password source", noSecret: "secr"},
		{in: "fd:Secret99", wantErr: "file descriptor", noSecret: "Secr"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			src, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				if tt.noSecret != "" && strings.Contains(err.Error(), tt.noSecret) {
					t.Errorf("error %q repeats what may be a password", err)
				}
				return
			}
			if err != nil || src.Kind != tt.kind {
				t.Errorf("Parse(%q) = %+v, %v, want kind %s", tt.in, src, err, tt.kind)
			}
		})
	}
}

// FuzzParsePasswordSource checks the parser never panics and that its
// errors are fixed texts: nothing of a value it could not parse (most
// likely the password itself) can reach a message.
func FuzzParsePasswordSource(f *testing.F) {
	for _, s := range []string{"pass:x", "env:PW", "file:/p", "fd:3", "stdin", "prompt", "generate", "none", "x:y", "", "fd:x", "MyPassw0rd"} {
		f.Add(s)
	}
	fixed := map[string]bool{
		ErrNotSource.Error():                                 true,
		"env: needs a variable name after the colon":         true,
		"file: needs a path after the colon":                 true,
		"fd: needs a file descriptor number after the colon": true,
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := Parse(s)
		if err != nil && !fixed[err.Error()] {
			t.Errorf("Parse(%q) error = %q, want one of the fixed texts", s, err)
		}
		if err == nil && src.Kind == "" {
			t.Errorf("Parse(%q) = no kind, no error", s)
		}
	})
}
