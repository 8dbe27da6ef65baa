package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/apimclient"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// loseAnswers is a transport that sends requests on, but for the first n
// requests matching match throws the server's answer away and reports a
// connection reset: the request was carried out, the client does not know.
// It is the fault an emulator cannot inject itself (its faults act before
// the request is handled).
type loseAnswers struct {
	next  http.RoundTripper
	match func(*http.Request) bool
	n     atomic.Int32
}

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil || !l.match(r) || l.n.Add(-1) < 0 {
		return resp, err
	}
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

func losing(n int32, match func(*http.Request) bool) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		prev := f.MgmtOptions
		f.MgmtOptions = func(o *mgmtclient.Options) {
			if prev != nil {
				prev(o)
			}
			l := &loseAnswers{next: o.HTTPClient.Transport, match: match}
			l.n.Store(n)
			o.HTTPClient = &http.Client{Transport: l}
		}
	}
}

// losingARM is losing for the API Management client.
func losingARM(n int32, match func(*http.Request) bool) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		prev := f.APIMOptions
		f.APIMOptions = func(o *apimclient.Options) {
			if prev != nil {
				prev(o)
			}
			hc, ok := o.Transport.(*http.Client)
			if !ok {
				panic("the API Management transport is not an *http.Client")
			}
			l := &loseAnswers{next: hc.Transport, match: match}
			l.n.Store(n)
			o.Transport = &http.Client{Transport: l}
		}
	}
}

func isPost(r *http.Request) bool { return r.Method == http.MethodPost }

// faultCase is one fault and how the command must end.
type faultCase struct {
	name string
	// cfg adjusts the emulator; faults are injected before the command runs.
	cfg    func(*azure.Config)
	faults []emulator.Fault
	edit   func(*cmdutil.Factory)
	args   []string
	code   int
	stderr string
	// requests bounds what the emulator received, inclusive.
	minReq, maxReq int
	// mgmt and web are the management certificates and the certificates of
	// cloud service "web" the emulator must hold afterwards.
	mgmt, web int
	// apim is the number of API Management certificates afterwards.
	apim int
	// maxTime bounds how long the command took.
	maxTime time.Duration
}

// TestFaultInjection runs commands against an emulator that fails in each
// of the ways Azure was seen to fail, and checks the exit code (0 when the
// command recovered, 6 when Azure stayed unavailable), the number of
// requests sent (bounded), and that the subscription holds exactly what a
// single successful run makes: no duplicate and nothing half-made.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection takes a few seconds")
	}
	fx := reliabilityFixtures(t)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	site, sitePFX := fx.path("site.cer"), fx.path("site.pfx")
	reg := []string{"upload", site}
	svc := []string{"upload", sitePFX, "--service", "web", "--in-password", "env:RELPW"}
	apim := []string{"apim", "upload", sitePFX, "--in-password", "env:RELPW", "--resource-group", "rg-api", "--service", "contoso-apim"}
	n := func(kind emulator.FaultKind, count int) []emulator.Fault {
		return []emulator.Fault{{Kind: kind, Count: count}}
	}
	cases := []faultCase{
		// Register a management certificate: POST (201).
		{name: "register: connection resets", faults: n(emulator.FaultReset, 2), args: reg, code: 0, minReq: 3, maxReq: 3, mgmt: 2},
		{name: "register: 500 InternalError", faults: n(emulator.FaultInternalError, 2), args: reg, code: 0, minReq: 3, maxReq: 3, mgmt: 2},
		{name: "register: 503 TooManyRequests", faults: n(emulator.FaultThrottle, 3), args: reg, code: 0, minReq: 4, maxReq: 4, mgmt: 2},
		{name: "register: throttled beyond the retries", faults: n(emulator.FaultThrottle, 50), args: append(reg, "--retries", "2"), code: 6, stderr: "503 Service Unavailable: TooManyRequests", minReq: 3, maxReq: 3, mgmt: 1},
		{name: "register: 500 beyond the retries", faults: n(emulator.FaultInternalError, 50), args: reg, code: 6, stderr: "500 Internal Server Error: InternalError", minReq: 5, maxReq: 5, mgmt: 1},
		{name: "register: resets beyond the retries", faults: n(emulator.FaultReset, 50), args: reg, code: 6, stderr: "Azure is unreachable", minReq: 5, maxReq: 5, mgmt: 1},
		{name: "register: answer slower than --timeout", faults: []emulator.Fault{{Kind: emulator.FaultDelay, Delay: time.Minute, Count: 50}}, args: append(reg, "--timeout", "1s"), code: 6, stderr: "no answer in time", minReq: 1, maxReq: 5, mgmt: 1, maxTime: 5 * time.Second},
		{name: "register: slow answer within --timeout", faults: []emulator.Fault{{Kind: emulator.FaultDelay, Delay: 300 * time.Millisecond}}, args: append(reg, "--timeout", "10s"), code: 0, minReq: 1, maxReq: 1, mgmt: 2},
		// 307 is followed with the same method and body (TestRedirectedPostKeepsItsBody
		// in pkg/mgmtclient found the body shared between hops, fixed).
		{name: "register: 307 redirect", faults: n(emulator.FaultRedirect, 3), args: reg, code: 0, minReq: 4, maxReq: 4, mgmt: 2},
		{name: "list: 307 redirect", faults: n(emulator.FaultRedirect, 1), args: []string{"list"}, code: 0, minReq: 2, maxReq: 2},
		{name: "list: redirect loop", faults: n(emulator.FaultRedirect, 1000), args: []string{"list", "--retries", "1"}, code: 6, stderr: "stopped after 10 redirects", minReq: 20, maxReq: 20},
		{name: "delete: 307 redirect", faults: n(emulator.FaultRedirect, 1), args: []string{"delete", goodThumb, "--yes"}, code: 0, minReq: 2, maxReq: 2},
		{name: "register: answer lost after the add", edit: losing(1, isPost), args: reg, code: 0, minReq: 3, maxReq: 3, mgmt: 2},

		// Upload a service certificate: GET (404), POST (202), polls.
		{name: "service: connection resets", faults: n(emulator.FaultReset, 3), args: svc, code: 0, minReq: 7, maxReq: 7, web: 1},
		{name: "service: 500 InternalError", faults: n(emulator.FaultInternalError, 3), args: svc, code: 0, minReq: 7, maxReq: 7, web: 1},
		{name: "service: 503 TooManyRequests", faults: n(emulator.FaultThrottle, 3), args: svc, code: 0, minReq: 7, maxReq: 7, web: 1},
		{name: "service: 307 redirect", faults: n(emulator.FaultRedirect, 3), args: svc, code: 0, minReq: 7, maxReq: 7, web: 1},
		{name: "service: answer lost after the POST", edit: losing(1, isPost), args: svc, code: 0, minReq: 5, maxReq: 6, web: 1},
		{name: "service: operation InProgress forever", cfg: func(c *azure.Config) { c.OperationDelay = time.Hour },
			args: append(svc, "--timeout", "2s"), code: 6, stderr: "still in progress", minReq: 3, maxReq: 2 + 2000/10 + 1, web: 0, maxTime: 5 * time.Second},
		{name: "service: throttled while polling", cfg: func(c *azure.Config) { c.OperationDelay = time.Hour },
			args: append(svc, "--timeout", "30s"), code: 6, stderr: "TooManyRequests", minReq: 3, maxReq: 40, web: 0},

		// API Management through ARM: GET (404), PUT (201).
		{name: "apim: 429 with Retry-After", faults: n(emulator.FaultThrottle, 1), args: apim, code: 0, minReq: 3, maxReq: 3, apim: 1, maxTime: 10 * time.Second},
		{name: "apim: 500", faults: n(emulator.FaultInternalError, 2), args: apim, code: 0, minReq: 4, maxReq: 4, apim: 1},
		{name: "apim: connection resets", faults: n(emulator.FaultReset, 2), args: apim, code: 0, minReq: 4, maxReq: 4, apim: 1},
		{name: "apim: answer lost after the PUT", edit: losingARM(1, func(r *http.Request) bool { return r.Method == http.MethodPut }), args: apim, code: 0, minReq: 4, maxReq: 4, apim: 1},
		{name: "apim: 307 redirect", faults: n(emulator.FaultRedirect, 2), args: apim, code: 0, minReq: 4, maxReq: 4, apim: 1},
		{name: "apim: 500 beyond the retries", faults: n(emulator.FaultInternalError, 50), args: append(apim, "--retries", "1"), code: 6, stderr: "500", minReq: 2, maxReq: 2, apim: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			emu := startRelEmulator(t, fx, tc.cfg)
			for _, f := range tc.faults {
				emu.srv.Inject(f)
			}
			edit := tc.edit
			if tc.name == "service: throttled while polling" {
				// Throttle everything once the operation is accepted.
				edit = throttleAfterAccepted(emu.srv)
			}
			before := dirManifest(t, wd)
			r := invoke(t, tc.args, nil, emu.env, edit)
			if r.panicked != nil || r.timedOut {
				t.Fatalf("panicked %v, timed out %v", r.panicked, r.timedOut)
			}
			reqs := emu.srv.Requests()
			t.Logf("exit %d in %v after %d requests: %s", r.code, r.elapsed.Round(time.Millisecond), len(reqs), requestSummary(reqs))
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if tc.code != 0 {
				checkErrorLines(t, r.stderr)
				if !strings.Contains(r.stderr, tc.stderr) {
					t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
				}
			}
			if len(reqs) < tc.minReq || len(reqs) > tc.maxReq {
				t.Errorf("%d requests, want %d to %d", len(reqs), tc.minReq, tc.maxReq)
			}
			if tc.maxTime != 0 && r.elapsed > tc.maxTime {
				t.Errorf("took %v, more than %v", r.elapsed, tc.maxTime)
			}
			wantMgmt := tc.mgmt
			if wantMgmt == 0 {
				wantMgmt = 1 // the trusted one
			}
			if got := emu.srv.ASM.ManagementCertificates(); len(got) != wantMgmt {
				t.Errorf("management certificates %v, want %d", got, wantMgmt)
			}
			if got := emu.srv.ASM.ServiceCertificates("web"); len(got) != tc.web {
				t.Errorf("certificates of web %v, want %d", got, tc.web)
			}
			if got := emu.srv.APIM.Certificates("rg-api", "contoso-apim"); len(got) != tc.apim {
				t.Errorf("API Management certificates %v, want %d", got, tc.apim)
			}
			if after := dirManifest(t, wd); after != before {
				t.Errorf("the working directory changed:\n%s", after)
			}
		})
	}
}

// throttleAfterAccepted makes the emulator throttle every request after the
// service-certificate POST was accepted, so that polling never gets an
// answer.
func throttleAfterAccepted(srv *azure.Emulator) func(*cmdutil.Factory) {
	return func(f *cmdutil.Factory) {
		prev := f.MgmtOptions
		f.MgmtOptions = func(o *mgmtclient.Options) {
			prev(o)
			next := o.HTTPClient.Transport
			o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := next.RoundTrip(r)
				if err == nil && r.Method == http.MethodPost && resp.StatusCode == http.StatusAccepted {
					srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 1000})
				}
				return resp, err
			})}
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func requestSummary(reqs []emulator.Request) string {
	var parts []string
	for _, r := range reqs {
		p := r.Path
		if i := strings.LastIndex(p, "/"); i > 0 && len(p)-i > 20 {
			p = p[:i+1] + "…"
		}
		parts = append(parts, r.Method+" "+p)
	}
	if len(parts) > 8 {
		parts = append(parts[:4], fmt.Sprintf("… %d more …", len(parts)-6), parts[len(parts)-2], parts[len(parts)-1])
	}
	return strings.Join(parts, ", ")
}

// TestServerStopsDuringUpload stops the emulator while a service
// certificate upload waits for its operation: the command gives up with
// exit 6 and the cloud service holds nothing; after the emulator restarts
// from its state file, the same command finishes the upload, once.
func TestServerStopsDuringUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops emulators")
	}
	fx := reliabilityFixtures(t)
	wd := t.TempDir()
	t.Chdir(wd)
	state := filepath.Join(t.TempDir(), "state.json")
	var stopOnce sync.Once
	var srv *azure.Emulator
	stopped := make(chan struct{})
	cfg := azure.Config{
		Trust: []*x509.Certificate{fx.mgmtCert}, Services: []string{"web"}, StatePath: state,
		OperationDelay: 200 * time.Millisecond,
		Logf: func(format string, args ...any) {
			// Stop the server once it has accepted the upload.
			if line := fmt.Sprintf(format, args...); strings.Contains(line, "POST ") && strings.Contains(line, "-> 202") {
				stopOnce.Do(func() {
					go func() {
						_ = srv.Close()
						close(stopped)
					}()
				})
			}
		},
	}
	var err error
	srv, err = azure.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	emu := &relEmulator{srv: srv, env: emulatorEnv(t, fx, srv)}
	args := []string{"upload", fx.path("site.pfx"), "--service", "web", "--in-password", "env:RELPW", "--timeout", "20s"}
	r := invoke(t, args, nil, emu.env, nil)
	<-stopped
	t.Logf("first run: exit %d in %v after %d requests: %s", r.code, r.elapsed.Round(time.Millisecond), len(srv.Requests()), requestSummary(srv.Requests()))
	if r.code != cmdutil.ExitAzureUnreachable {
		t.Errorf("exit %d, want 6; stderr:\n%s", r.code, r.stderr)
	}
	checkErrorLines(t, r.stderr)
	if got := srv.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("the stopped emulator holds %v, want nothing half-made", got)
	}
	// The upload was sent once. The client may have asked for the
	// operation's status in the moment between the 202 and the stop.
	posts := 0
	for _, req := range srv.Requests() {
		switch {
		case req.Method == http.MethodPost:
			posts++
		case req.Method != http.MethodGet:
			t.Errorf("%s %s reached the emulator, want only GETs besides the one POST", req.Method, req.Path)
		}
	}
	if posts != 1 {
		t.Errorf("%d POSTs reached the emulator before it stopped, want 1", posts)
	}

	// Restart on the same address from the state file; rerun.
	cfg.Logf = nil
	cfg.Listen = strings.TrimPrefix(srv.URL, "https://")
	again, err := azure.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(); err != nil {
		t.Skipf("cannot listen on the same port again: %v", err)
	}
	t.Cleanup(func() { _ = again.Close() })
	if got := again.ASM.ServiceCertificates("web"); len(got) != 0 {
		t.Errorf("after the restart the service holds %v, want nothing", got)
	}
	r = invoke(t, args, nil, emulatorEnv(t, fx, again), nil)
	t.Logf("rerun: exit %d in %v after %d requests: %s", r.code, r.elapsed.Round(time.Millisecond), len(again.Requests()), requestSummary(again.Requests()))
	if r.code != 0 || !strings.Contains(r.stdout, "uploaded (cloud service web)") {
		t.Errorf("rerun: exit %d, stdout %q, stderr %q; want 0 and uploaded", r.code, r.stdout, r.stderr)
	}
	if got := again.ASM.ServiceCertificates("web"); len(got) != 1 {
		t.Errorf("after the rerun the service holds %v, want exactly one", got)
	}
	if names := dirNames(t, wd); len(names) != 0 {
		t.Errorf("files written to the working directory: %v", names)
	}
}

// TestServerStopsDuringRegister stops the emulator while an Add Management
// Certificate is held in flight: the emulator finishes what it accepted
// before it stops, so the command succeeds (exit 0) and the certificate is
// there once; a rerun against the stopped emulator is exit 6 and changes
// nothing.
func TestServerStopsDuringRegister(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops emulators")
	}
	fx := reliabilityFixtures(t)
	t.Chdir(t.TempDir())
	emu := startRelEmulator(t, fx, nil)
	emu.srv.Inject(emulator.Fault{Kind: emulator.FaultDelay, Delay: time.Minute})
	go func() {
		// Stop once the POST is held.
		for len(emu.srv.Requests()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = emu.srv.Shutdown(ctx)
	}()
	r := invoke(t, []string{"upload", fx.path("site.cer"), "--timeout", "20s"}, nil, emu.env, nil)
	t.Logf("exit %d in %v after %d requests", r.code, r.elapsed.Round(time.Millisecond), len(emu.srv.Requests()))
	if r.code != 0 || !strings.Contains(r.stdout, "registered") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, registered", r.code, r.stdout, r.stderr)
	}
	if n := len(emu.srv.ASM.ManagementCertificates()); n != 2 {
		t.Errorf("%d management certificates, want 2", n)
	}
	r = invoke(t, []string{"upload", fx.path("site.cer"), "--timeout", "5s", "--retries", "1"}, nil, emu.env, nil)
	if r.code != cmdutil.ExitAzureUnreachable {
		t.Errorf("against the stopped emulator: exit %d, want 6; stderr %q", r.code, r.stderr)
	}
	if n := len(emu.srv.ASM.ManagementCertificates()); n != 2 {
		t.Errorf("%d management certificates after the failed rerun, want 2", n)
	}
}
