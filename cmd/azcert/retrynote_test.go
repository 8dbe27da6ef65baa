package main

import (
	"strings"
	"testing"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator"
)

// TestRetriesAreVisible: on a terminal each retry writes one stderr line
// (status, wait, attempt k of n); off a terminal nothing unless --debug;
// when the retries run out, the error names the last answer and the hint
// names --retries and --timeout. For both clients.
func TestRetriesAreVisible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the emulator")
	}
	fx := reliabilityFixtures(t)
	emu := startRelEmulator(t, fx, nil)
	apim := []string{"apim", "list", "--resource-group", "rg-api", "--service", "contoso-apim"}
	tests := []struct {
		name      string
		args      []string
		tty       bool
		wantLines int
		wantLast  string
	}{
		{"classic, terminal", []string{"list", "--retries", "2"}, true, 2, "503 Service Unavailable: TooManyRequests"},
		{"classic, no terminal", []string{"list", "--retries", "2"}, false, 0, "503 Service Unavailable: TooManyRequests"},
		{"classic, no terminal, --debug", []string{"list", "--retries", "2", "--debug"}, false, 2, "503 Service Unavailable: TooManyRequests"},
		{"classic, terminal, --quiet", []string{"list", "--retries", "2", "-q"}, true, 0, "503 Service Unavailable: TooManyRequests"},
		{"ARM, terminal", append(apim, "--retries", "1"), true, 1, "429 Too Many Requests"},
		{"ARM, no terminal", append(apim, "--retries", "1"), false, 0, "429 Too Many Requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu.srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 10})
			r := invoke(t, tt.args, nil, emu.env, func(f *cmdutil.Factory) { f.IO.ErrTTY = tt.tty })
			emu.srv.ClearFaults()
			if r.code != cmdutil.ExitAzureUnreachable {
				t.Fatalf("exit %d, want %d\n%s", r.code, cmdutil.ExitAzureUnreachable, r.stderr)
			}
			var notes []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "azcert: retrying in ") {
					notes = append(notes, l)
				}
			}
			if len(notes) != tt.wantLines {
				t.Errorf("%d retry lines, want %d:\n%s", len(notes), tt.wantLines, r.stderr)
			}
			for i, l := range notes {
				want := "(attempt " + string(rune('1'+i)) + " of "
				if !strings.Contains(l, want) || !(strings.Contains(l, " after 503 TooManyRequests ") || strings.Contains(l, " after 429 TooManyRequests ")) {
					t.Errorf("retry line %q lacks %q or the answer", l, want)
				}
			}
			if !strings.Contains(r.stderr, "azcert: error: ") || !strings.Contains(r.stderr, tt.wantLast) {
				t.Errorf("the error does not name the last answer %q:\n%s", tt.wantLast, r.stderr)
			}
			if !strings.Contains(r.stderr, "azcert: hint: Azure may be busy: raise --retries (now ") || !strings.Contains(r.stderr, "--timeout (now 2m0s)") {
				t.Errorf("the hint does not name --retries and --timeout:\n%s", r.stderr)
			}
		})
	}
}
