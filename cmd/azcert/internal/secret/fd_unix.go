//go:build unix

package secret

import (
	"fmt"
	"os"
	"syscall"
)

// openFD returns a private duplicate of descriptor n, so reading and
// closing it leaves the caller's descriptor alone.
func openFD(n int) (*os.File, error) {
	d, err := syscall.Dup(n)
	if err != nil {
		return nil, fmt.Errorf("not an open file descriptor: %w", err)
	}
	syscall.CloseOnExec(d)
	return os.NewFile(uintptr(d), fmt.Sprintf("fd%d", n)), nil
}
