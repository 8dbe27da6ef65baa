package input

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/export"
)

func TestReadBounded(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, tt := range []struct {
		name string
		size int64
		want int
	}{
		{"known size", int64(len(data)), len(data)},
		{"unknown size", 0, len(data)},
		{"grew after stat", 10, len(data)},
		{"shrank after stat", 5000, len(data)},
	} {
		got, err := readBounded(bytes.NewReader(data), tt.size)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: readBounded = %d bytes, %v; want %d bytes", tt.name, len(got), err, tt.want)
		}
	}
	big := bytes.NewReader(make([]byte, export.MaxInputSize+100))
	if got, err := readBounded(big, export.MaxInputSize+100); err != nil || len(got) != export.MaxInputSize+1 {
		t.Errorf("oversized: %d bytes, %v; want %d", len(got), err, export.MaxInputSize+1)
	}
}

func testFactory(stdin string) *cmdutil.Factory {
	f, _, _ := cmdtest.Factory(nil)
	f.IO.In = strings.NewReader(stdin)
	return f
}

// Read refuses, with one input error each, what cannot be a certificate
// file, and reads stdin once only.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, export.MaxInputSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ arg, want string }{
		{filepath.Join(dir, "none.cer"), "no such file"},
		{dir, "is a directory"},
		{big, "larger than any certificate"},
		{"", "the file name is empty"},
	} {
		_, err := Read(testFactory(""), tt.arg)
		var ie *cmdutil.InputError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ie) {
			t.Errorf("Read(%s) = %v, want an input error with %q", tt.arg, err, tt.want)
		}
	}
	f := testFactory("data")
	if b, err := Read(f, "-"); err != nil || string(b) != "data" {
		t.Fatalf("Read(-) = %q, %v", b, err)
	}
	if _, err := Read(f, "-"); err == nil || !strings.Contains(err.Error(), "standard input is already used") {
		t.Errorf("a second Read(-) = %v", err)
	}
}

func TestDerivedPath(t *testing.T) {
	for _, tt := range []struct{ in, ext, want string }{
		{"site.pfx", ".cer", "site.cer"},
		{"dir/site.crt.pem", ".pfx", "dir/site.pfx"},
		{"site.key.pem", ".pfx", "site.pfx"},
		{"noext", ".cer", "noext.cer"},
		{"-", ".cer", "stdin.cer"},
		{"https://contoso.net", ".cer", "stdin.cer"},
	} {
		if got := DerivedPath(tt.in, tt.ext); got != tt.want {
			t.Errorf("DerivedPath(%q, %q) = %q, want %q", tt.in, tt.ext, got, tt.want)
		}
	}
}

// CheckStdin names every user of stdin, in order, when more than one wants it.
func TestCheckStdin(t *testing.T) {
	if err := CheckStdin([]string{"a.pfx"}, PasswordFlag{"in-password", "stdin"}); err != nil {
		t.Errorf("one user: %v", err)
	}
	err := CheckStdin([]string{"-"}, PasswordFlag{"in-password", "stdin"}, PasswordFlag{"password", "env:X"}, PasswordFlag{"auth-password", "stdin"})
	want := "standard input can be read only once, but the input file (-), --in-password stdin and --auth-password stdin both want it"
	if err == nil || err.Error() != want {
		t.Errorf("CheckStdin = %v, want %q", err, want)
	}
}

// FetchTLS refuses a URL with a path before dialling anything.
func TestFetchTLSRefusesPaths(t *testing.T) {
	for _, u := range []string{"https://contoso.net/login", "https://contoso.net/?x=1", "https://"} {
		if _, err := FetchTLS(context.Background(), u, time.Second); err == nil {
			t.Errorf("FetchTLS(%q) = nil error", u)
		}
	}
}
