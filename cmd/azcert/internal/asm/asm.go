// Package asm holds the Service Management (ASM) commands: azcert upload,
// list and delete, which register management certificates with a
// subscription and put service certificates on cloud services. It also
// holds the checks and hints every Service Management command shares
// (AzureHint, AESHint, IsServiceMissing), so that other
// commands that upload, such as rotate and apim upload, give the same
// advice.
package asm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// AzureHint adds advice to the errors users can act on: a refused
// management certificate (403) and the subscription's limit of management
// certificates.
func AzureHint(err error, s *cmdutil.MgmtSession) error {
	var e *mgmtclient.Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusForbidden:
			return cmdutil.WithHint(err, "the management certificate %s must be registered with subscription %s (portal, or the emulator's --trust), and the subscription ID must be right", s.AuthThumb, s.Subscription)
		case mgmtclient.IsLimit(err):
			return cmdutil.WithHint(fmt.Errorf("the subscription has reached its limit of management certificates: %w", err),
				"a subscription holds at most 100 management certificates; see them with 'azcert list' and remove each unused one by its thumbprint with azcert delete")
		}
	}
	return err
}

// AESHint adds, to a service-certificate upload that failed because the
// .pfx is AES-encrypted, the command that re-encrypts that very file;
// source is the password source that command repeats (see
// secret.RemedySource).
func AESHint(err error, file, source string) error {
	if errors.As(err, new(*mgmtclient.OperationError)) && strings.Contains(err.Error(), "AES") {
		return cmdutil.WithHint(err, "re-encrypt it for Cloud Services: %s", check.ReencryptCommand(file, source))
	}
	return err
}

// IsServiceMissing tells a 404 for an unknown cloud service apart from a
// 404 for a certificate that is not there yet.
func IsServiceMissing(err error) bool {
	return mgmtclient.IsNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "hosted service")
}
