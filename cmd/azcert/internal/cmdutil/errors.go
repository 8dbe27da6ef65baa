// Package cmdutil is what every azcert command shares: the Factory (streams,
// clock, environment, the global options and the constructors of the Azure
// clients), the typed errors that decide exit codes, and JSON and text
// output helpers. It is cmd/'s own: pkg/ never imports it.
package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

// Exit codes, as documented in `azcert help exit-codes`.
const (
	ExitOK               = 0
	ExitFailure          = 1
	ExitUsage            = 2
	ExitBadInput         = 3
	ExitCheck            = 4
	ExitAzure            = 5
	ExitAzureUnreachable = 6
)

// UsageError is a mistake in how azcert was called (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf is a UsageError with a formatted message.
func UsageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// InputError is a file, name or value azcert cannot use (exit 3).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// InputErrorf is an InputError with a formatted message.
func InputErrorf(format string, a ...any) error {
	return &InputError{Err: fmt.Errorf(format, a...)}
}

// CheckFailedError is a check that ran and failed (exit 4).
type CheckFailedError struct{ Err error }

func (e *CheckFailedError) Error() string { return e.Err.Error() }
func (e *CheckFailedError) Unwrap() error { return e.Err }

// HintError adds an "azcert: hint:" line to an error.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint adds a hint line to err.
func WithHint(err error, format string, a ...any) error {
	return &HintError{Err: err, Hint: fmt.Sprintf(format, a...)}
}

// ExitCode maps an error to the documented exit code. It is the only place
// that decides exit codes.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var (
		usage    *UsageError
		input    *InputError
		check    *CheckFailedError
		name     *certgen.NameError
		keySize  *certgen.KeySizeError
		azure    *certgen.AzureDomainError
		validity *certgen.ValidityError
		issuer   *certgen.IssuerError
		cn       *certgen.CommonNameError
		bad      *export.InputError
		exists   *export.ExistsError
		output   *export.OutputError
	)
	// Both Azure clients answer with the shared azhttp types.
	var (
		azureErr *azhttp.Error
		azureOp  *mgmtclient.OperationError
		azureOff *azhttp.UnavailableError
		noCred   *CredentialError
		azCred   *azhttp.CredentialError
		tokenErr *entra.TokenError
	)
	if vpnRefused(err) {
		return ExitAzure
	}
	switch {
	case errors.As(err, &azureOff), errors.As(err, new(*network.TimeoutError)):
		return ExitAzureUnreachable
	case errors.As(err, &tokenErr) && tokenErr.Unwrap() == nil:
		// The identity platform's refusal, without the answer it came in.
		if tokenErr.Status >= 500 || tokenErr.Status == 429 {
			return ExitAzureUnreachable
		}
		return ExitAzure
	case errors.As(err, &noCred), errors.As(err, &azCred):
		return ExitAzure
	case errors.As(err, &azureErr):
		if azureErr.Temporary() {
			return ExitAzureUnreachable
		}
		return ExitAzure
	case errors.As(err, &azureOp):
		return ExitAzure
	}
	switch {
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &check):
		return ExitCheck
	case errors.As(err, &input), errors.As(err, &name), errors.As(err, &keySize),
		errors.As(err, &azure), errors.As(err, &validity), errors.As(err, &bad),
		errors.As(err, &issuer), errors.As(err, &cn),
		errors.As(err, &exists), errors.As(err, &output), errors.Is(err, certgen.ErrNoNames), errors.Is(err, export.ErrKeyMismatch):
		return ExitBadInput
	}
	return ExitFailure
}

// vpnRefused reports the errors of a VPN gateway's change that mean the
// gateway cannot take it (exit 5, as Azure's own refusal would be): its
// update operation failed, it holds network.MaxRoots roots already (azcert
// says so before writing, with the documented limit, rather than sending a
// change Azure refuses), a name is taken, it has no point-to-site
// configuration, or others kept changing it through every retry.
func vpnRefused(err error) bool {
	var (
		op       *network.OperationError
		limit    *network.LimitError
		name     *network.NameInUseError
		conflict *network.ConflictError
	)
	return errors.As(err, &op) || errors.As(err, &limit) || errors.As(err, &name) ||
		errors.As(err, &conflict) || errors.Is(err, network.ErrNoPointToSite)
}

// PrintError writes the one error line, and a hint line where there is one.
func PrintError(s *IOStreams, err error) {
	// One line, and no control character: a message may carry text from
	// outside (a file's contents, Azure's error message).
	msg := Printable(strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
	fmt.Fprintf(s.ErrOut, "%s %s\n", s.ErrColor().Sprint("azcert: error:"), msg)
	var h *HintError
	if errors.As(err, &h) && h.Hint != "" {
		fmt.Fprintf(s.ErrOut, "azcert: hint: %s\n", Printable(h.Hint))
	}
}

// CredentialError is an Azure credential that could not give a token
// (exit 5: Azure, or the account, refused).
type CredentialError struct{ Err error }

func (e *CredentialError) Error() string { return e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }
