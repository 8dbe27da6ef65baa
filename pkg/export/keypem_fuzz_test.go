package export

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
)

// FuzzParseKeyPEM checks the reader of --key files: it never panics, fails
// only with *InputError, does not modify its input, and a key it returns
// has a public half.
func FuzzParseKeyPEM(f *testing.F) {
	fx := testFixture(f)
	pkcs8 := pkcs8PEM(f, fx.key)
	pkcs1 := pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(fx.key))
	for _, s := range [][]byte{
		pkcs8,
		pkcs1,
		concat(CertPEM(fx.leaf.Cert), pkcs1),
		concat([]byte("\xef\xbb\xbf"), pkcs8),
		pkcs8[:len(pkcs8)/2],
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1, 2}}),
		pemBlock("ENCRYPTED PRIVATE KEY", []byte{0x30, 0}),
		pemBlock("EC PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x01}),
		bytes.Repeat(pemBlock("PUBLIC KEY", []byte{0x30, 0}), 50),
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		key, err := ParseKeyPEM(data)
		if !bytes.Equal(in, data) {
			t.Fatal("ParseKeyPEM modified its input")
		}
		if err != nil {
			if key != nil {
				t.Fatalf("ParseKeyPEM returned a key with the error %v", err)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseKeyPEM error = %T (%v), want *InputError", err, err)
			}
			return
		}
		if key == nil || key.Public() == nil {
			t.Fatalf("ParseKeyPEM = %v, nil, want a key with a public half", key)
		}
		if ec, ok := key.(*ecdsa.PrivateKey); ok && ec.Curve == nil {
			t.Fatal("ParseKeyPEM returned an EC key without a curve")
		}
	})
}
