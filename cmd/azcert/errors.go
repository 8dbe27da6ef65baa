package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// Exit codes, as documented in `azcert help exit-codes`.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitBadInput   = 3
	exitCheck      = 4
	exitAzure      = 5
	exitAzureUnrch = 6
)

// usageError is a mistake in how azcert was called (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// inputError is a file, name or value azcert cannot use (exit 3).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func inputErrorf(format string, a ...any) error {
	return &inputError{fmt.Errorf(format, a...)}
}

// checkFailedError is a check that ran and failed (exit 4).
type checkFailedError struct{ err error }

func (e *checkFailedError) Error() string { return e.err.Error() }
func (e *checkFailedError) Unwrap() error { return e.err }

// hintError adds an "azcert: hint:" line to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, a ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, a...)}
}

// exitCode maps an error to the documented exit code. It is the only place
// that decides exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var (
		usage    *usageError
		input    *inputError
		check    *checkFailedError
		name     *certgen.NameError
		keySize  *certgen.KeySizeError
		azure    *certgen.AzureDomainError
		validity *certgen.ValidityError
		bad      *export.InputError
		exists   *export.ExistsError
		output   *export.OutputError
	)
	var (
		azure5   *mgmtclient.Error
		azureOp  *mgmtclient.OperationError
		azureOff *mgmtclient.UnavailableError
		arm      *apimclient.Error
		armOff   *apimclient.UnavailableError
		noCred   *credentialError
		armCred  *apimclient.CredentialError
	)
	switch {
	case errors.As(err, &azureOff), errors.As(err, &armOff):
		return exitAzureUnrch
	case errors.As(err, &noCred), errors.As(err, &armCred):
		return exitAzure
	case errors.As(err, &arm):
		if arm.Temporary() {
			return exitAzureUnrch
		}
		return exitAzure
	case errors.As(err, &azure5):
		if azure5.Temporary() {
			return exitAzureUnrch
		}
		return exitAzure
	case errors.As(err, &azureOp):
		return exitAzure
	}
	switch {
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &check):
		return exitCheck
	case errors.As(err, &input), errors.As(err, &name), errors.As(err, &keySize),
		errors.As(err, &azure), errors.As(err, &validity), errors.As(err, &bad),
		errors.As(err, &exists), errors.As(err, &output), errors.Is(err, certgen.ErrNoNames), errors.Is(err, export.ErrKeyMismatch):
		return exitBadInput
	}
	return exitFailure
}

// printError writes the one error line, and a hint line where there is one.
func printError(s *iostreams, err error) {
	// One line, and no control character: a message may carry text from
	// outside (a file's contents, Azure's error message).
	msg := printable(strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
	fmt.Fprintf(s.ErrOut, "%s %s\n", s.errColor().Sprint("azcert: error:"), msg)
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(s.ErrOut, "azcert: hint: %s\n", printable(h.hint))
	}
}
