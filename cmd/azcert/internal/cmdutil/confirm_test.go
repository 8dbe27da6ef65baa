package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestConfirm(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		ok           bool
	}{
		{"y", "y\n", true},
		{"yes in capitals", "YES\n", true},
		{"yes without a newline", " yes ", true},
		{"n", "n\n", false},
		{"anything else", "sure\n", false},
		{"no answer", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			s := &IOStreams{In: strings.NewReader(tt.answer), ErrOut: &errOut}
			err := s.Confirm("Delete x\x1b[31m?", "not deleted")
			if got := errOut.String(); got != `Delete x\x1b[31m? [y/N] ` {
				t.Errorf("the question = %q", got)
			}
			if tt.ok {
				if err != nil {
					t.Errorf("Confirm(%q) = %v, want nil", tt.answer, err)
				}
				return
			}
			var u *UsageError
			if !errors.As(err, &u) || err.Error() != "not deleted: the answer was not yes" {
				t.Errorf("Confirm(%q) = %v, want the usage error %q", tt.answer, err, "not deleted: the answer was not yes")
			}
		})
	}
	// stdin can answer only once.
	s := &IOStreams{In: strings.NewReader("y\n"), ErrOut: &bytes.Buffer{}}
	if _, err := s.Stdin("the password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Confirm("Delete?", "not deleted"); err == nil || !strings.Contains(err.Error(), "already used for the password") {
		t.Errorf("Confirm after stdin was used = %v", err)
	}
}
