// Package emulatortest starts the emulator of package azure for a test, in
// the manner of net/http/httptest: on loopback, closed when the test ends.
package emulatortest

import (
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
)

// NewServer starts an emulator for a test and closes it when the test
// ends. It fails the test if the emulator cannot start.
func NewServer(t testing.TB, cfg azure.Config) *azure.Emulator {
	t.Helper()
	e, err := azure.New(cfg)
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	if err := e.Start(); err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("emulatortest: closing the server: %v", err)
		}
	})
	return e
}
