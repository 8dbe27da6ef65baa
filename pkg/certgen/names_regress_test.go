package certgen_test

import (
	"errors"
	"testing"

	"github.com/azcert/azcert/pkg/certgen"
)

func TestParseNameRegressions(t *testing.T) {
	for _, in := range []string{"\xa6", "b\xfccher.de", "contoso\xff.net"} {
		var ne *certgen.NameError
		if _, err := certgen.ParseName(in); !errors.As(err, &ne) {
			t.Errorf("ParseName(%q) error = %v, want *NameError for invalid UTF-8", in, err)
		}
	}
	for _, in := range []string{"contoso.net\u3002", "contoso\uff0enet", "contoso\u3002net."} {
		n, err := certgen.ParseName(in)
		if err != nil || n.ASCII != "contoso.net" || n.Input != in {
			t.Errorf("ParseName(%q) = %+v, %v; want ASCII contoso.net", in, n, err)
		}
	}
}

func TestSignChecksTheKey(t *testing.T) {
	names, err := certgen.ParseNames([]string{"contoso.net"})
	if err != nil {
		t.Fatal(err)
	}
	small := testKey(t, 1024)
	var ks *certgen.KeySizeError
	if _, err := certgen.Sign(certgen.Request{Names: names}, small); !errors.As(err, &ks) {
		t.Errorf("Sign with a 1024-bit key error = %v, want *KeySizeError", err)
	}
	if _, err := certgen.Sign(certgen.Request{Names: names, KeySize: 3072}, testKey(t, 2048)); err == nil {
		t.Error("Sign with a key that differs from KeySize succeeded")
	}
}
