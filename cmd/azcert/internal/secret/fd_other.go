//go:build !unix

package secret

import (
	"errors"
	"os"
)

func openFD(n int) (*os.File, error) {
	return nil, errors.New("fd:N password sources need a Unix system; use env:VAR or file:PATH")
}
