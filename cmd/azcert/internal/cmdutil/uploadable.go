package cmdutil

import (
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// CheckUploadable applies Azure's basic rules to a certificate before
// anything is sent: RSA of at least 2048 bits, not expired, and with
// needKey, a private key. name is the file as the user gave it.
func CheckUploadable(name string, b *export.Bundle, now time.Time, needKey bool) error {
	if typ, bits := export.KeyInfo(b.Cert); typ != "RSA" || bits < 2048 {
		return InputErrorf("%s: the key is %s %d; Azure requires RSA with at least 2048 bits", name, typ, bits)
	}
	if now.After(b.Cert.NotAfter) {
		return InputErrorf("%s: the certificate expired on %s", name, b.Cert.NotAfter.UTC().Format(time.DateOnly))
	}
	if needKey && b.Key == nil {
		return WithHint(InputErrorf("%s holds no private key; a service certificate for SSL must be a .pfx with its key", name),
			"upload the .pfx that holds the certificate's key")
	}
	return nil
}
