package mgmtclient_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
)

// TestLimitConnections: concurrent calls share at most n kept-alive
// connections, so the server sees at most n TLS handshakes, however many
// calls there are; one caller after another needs one.
func TestLimitConnections(t *testing.T) {
	admin, key := testCert(t, "admin", 0)
	var certs []*x509.Certificate
	for i := range 24 {
		c, _ := testCert(t, fmt.Sprintf("conn-%02d", i), i%4)
		certs = append(certs, c)
	}
	for _, tt := range []struct {
		name       string
		limit      int // 0: LimitConnections not called
		concurrent int
		maxHS      int
	}{
		{"sequential", 0, 1, 1},
		{"limit 4, 4 callers", 4, 4, 4},
		{"limit 2, 8 callers", 2, 8, 2},
		{"limit 1, 6 callers", 1, 6, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulatortest.NewServer(t, azure.Config{Trust: []*x509.Certificate{admin}})
			c := newClient(t, srv, tlsCert(admin, key), nil)
			if tt.limit > 0 {
				c.LimitConnections(tt.limit)
			}
			next := make(chan *x509.Certificate)
			go func() {
				defer close(next)
				for _, cert := range certs {
					next <- cert
				}
			}()
			var wg sync.WaitGroup
			errs := make(chan error, len(certs))
			for range tt.concurrent {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for cert := range next {
						if _, err := c.RegisterManagementCertificate(context.Background(), cert); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := len(srv.ASM.ManagementCertificates()); got != len(certs)+1 {
				t.Errorf("%d certificates registered, want %d", got, len(certs)+1)
			}
			if hs := srv.Handshakes(); hs < 1 || hs > tt.maxHS {
				t.Errorf("%d TLS handshakes for %d calls, want 1 to %d", hs, len(certs), tt.maxHS)
			}
			c.CloseIdleConnections()
		})
	}
}
