package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
)

// logs collects Logf lines in a channel, so a test can wait for the server
// to reach a point instead of sleeping.
type logs chan string

func newLogs() logs { return make(logs, 1000) }

func (l logs) Logf(format string, args ...any) {
	select {
	case l <- fmt.Sprintf(format, args...):
	default: // never block the server; the tests wait for early lines only
	}
}

// wait returns the first line containing s. The timeout only bounds a
// broken test; it is not how the test synchronises.
func (l logs) wait(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line := <-l:
			if strings.Contains(line, s) {
				return line
			}
		case <-timeout:
			t.Fatalf("the server never logged %q", s)
		}
	}
}

func TestFaultAnswers(t *testing.T) {
	f := emutest.Certs(t)
	tests := []struct {
		kind          emulator.FaultKind
		status        int
		code, message string
	}{
		{emulator.FaultThrottle, http.StatusServiceUnavailable, "TooManyRequests", "Too many requests received. Retry after some time."},
		{emulator.FaultInternalError, http.StatusInternalServerError, "InternalError", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			srv, _ := emutest.NewServer(t, nil)
			c := emutest.Client(t, srv, f.Admin)
			srv.Inject(emulator.Fault{Kind: tt.kind, Count: 2})
			for i := range 2 {
				r := emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
				e := emutest.WantError(t, fmt.Sprintf("request %d", i+1), r, tt.status, tt.code, tt.message)
				if tt.message != "" && e.Message != tt.message {
					t.Errorf("Message = %q, want %q", e.Message, tt.message)
				}
				if ra := r.Header.Get("Retry-After"); ra != "" {
					t.Errorf("Retry-After = %q, want none (the real service sends none)", ra)
				}
			}
			r := emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
			emutest.WantStatus(t, "request 3", r, http.StatusOK)
			if n := len(srv.Requests()); n != 3 {
				t.Errorf("Requests() = %d, want 3 (faulted requests are recorded)", n)
			}
		})
	}
}

func TestFaultsApplyInOrder(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)
	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle})
	srv.Inject(emulator.Fault{Kind: emulator.FaultInternalError, Count: 2})
	var got []int
	for range 4 {
		got = append(got, emutest.Call(t, c, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version).Status)
	}
	if want := []int{503, 500, 500, 200}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func TestFaultReset(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	srv.Inject(emulator.Fault{Kind: emulator.FaultReset})
	// A fresh client: Go's transport retries a GET on a reused connection
	// that closes, which would hide the fault.
	_, err := emutest.Send(context.Background(), emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	if err == nil {
		t.Fatal("GET during a reset fault succeeded, want a transport error")
	}
	r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET after the reset", r, http.StatusOK)
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("Requests() = %d, want 2", n)
	}
}

func TestFaultRedirect(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	c := emutest.Client(t, srv, f.Admin)

	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect})
	u := emutest.CertsURL(srv) + "?a=1&b=2"
	r := emutest.Call(t, c, http.MethodGet, u, nil, emutest.Version)
	emutest.WantError(t, "GET", r, http.StatusTemporaryRedirect, "TemporaryRedirect", "")
	if got := r.Header.Get("Location"); got != u {
		t.Errorf("Location = %q, want %q", got, u)
	}

	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect, Location: "https://elsewhere.example/x"})
	r = emutest.Call(t, c, http.MethodGet, u, nil, emutest.Version)
	if got := r.Header.Get("Location"); r.Status != http.StatusTemporaryRedirect || got != "https://elsewhere.example/x" {
		t.Errorf("GET = %d with Location %q, want 307 to https://elsewhere.example/x", r.Status, got)
	}

	// A client that follows the redirect sends the POST and its body again.
	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect})
	srv.ResetRequests()
	follow := emutest.Client(t, srv, f.Admin)
	follow.CheckRedirect = nil
	r = emutest.Call(t, follow, http.MethodPost, emutest.CertsURL(srv), emutest.Marshal(t, emutest.AddBody(f.Certs[0])), emutest.Version)
	emutest.WantStatus(t, "POST following a redirect", r, http.StatusCreated)
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Method != http.MethodPost || len(reqs[1].Body) == 0 {
		t.Errorf("Requests() = %+v, want the POST twice, with its body", reqs)
	}
}

func TestFaultDelay(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, nil)
	srv.Inject(emulator.Fault{Kind: emulator.FaultDelay, Delay: time.Millisecond})
	r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET after a short delay", r, http.StatusOK)
}

func TestFaultDelayCancelled(t *testing.T) {
	f := emutest.Certs(t)
	l := newLogs()
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.Logf = l.Logf })
	srv.Inject(emulator.Fault{Kind: emulator.FaultDelay, Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := emutest.Send(ctx, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
		errc <- err
	}()
	l.wait(t, "fault delay: holding")
	cancel()
	// The client's error is context.Canceled when its cancel comes first;
	// what matters is that a held request is never answered.
	if err := <-errc; err == nil {
		t.Error("the cancelled GET got an answer, want none")
	} else if !errors.Is(err, context.Canceled) {
		t.Logf("cancelled GET = %v (the connection was dropped before the cancel took effect)", err)
	}
	// The handler stops waiting when the client goes away.
	l.wait(t, "fault delay: GET /"+srv.Subscription+"/certificates cancelled")
	r := emutest.Call(t, emutest.Client(t, srv, f.Admin), http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version)
	emutest.WantStatus(t, "GET after the cancelled one", r, http.StatusOK)
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		in   string
		want emulator.Fault
		err  string
	}{
		{in: "throttle:2", want: emulator.Fault{Kind: emulator.FaultThrottle, Count: 2}},
		{in: "throttle", want: emulator.Fault{Kind: emulator.FaultThrottle, Count: 1}},
		{in: "internal:1", want: emulator.Fault{Kind: emulator.FaultInternalError, Count: 1}},
		{in: "reset:2", want: emulator.Fault{Kind: emulator.FaultReset, Count: 2}},
		{in: "delay:3s:1", want: emulator.Fault{Kind: emulator.FaultDelay, Delay: 3 * time.Second, Count: 1}},
		{in: "delay:250ms", want: emulator.Fault{Kind: emulator.FaultDelay, Delay: 250 * time.Millisecond, Count: 1}},
		{in: "redirect:1", want: emulator.Fault{Kind: emulator.FaultRedirect, Count: 1}},
		{in: "REDIRECT:3:https://other.example:8443/x?y=1", want: emulator.Fault{Kind: emulator.FaultRedirect, Count: 3, Location: "https://other.example:8443/x?y=1"}},
		{in: "", err: "unknown kind"},
		{in: "boom:1", err: "unknown kind"},
		{in: "throttle:0", err: "count"},
		{in: "throttle:-1", err: "count"},
		{in: "throttle:x", err: "count"},
		{in: "throttle:1:2", err: "count"},
		{in: "delay", err: "needs a duration"},
		{in: "delay:1", err: "bad duration"},
		{in: "delay:-1s", err: "positive"},
		{in: "delay:2h", err: "at most"},
		{in: "redirect:1:not-a-url", err: "absolute URL"},
	}
	for _, tt := range tests {
		got, err := emulator.ParseFault(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFault(%q) = %+v, %v, want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFault(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			continue
		}
		if back, err := emulator.ParseFault(got.String()); err != nil || back != got {
			t.Errorf("ParseFault(%q.String() = %q) = %+v, %v, want %+v", tt.in, got.String(), back, err, got)
		}
	}
}
