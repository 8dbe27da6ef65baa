package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/network"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("boom"), 1},
		{"usage", UsageErrorf("bad flag"), 2},
		{"wrapped usage", fmt.Errorf("x: %w", UsageErrorf("bad")), 2},
		{"input", InputErrorf("bad file"), 3},
		{"name", &certgen.NameError{Name: "x", Reason: "y"}, 3},
		{"key size", &certgen.KeySizeError{Bits: 1024}, 3},
		{"azure domain", &certgen.AzureDomainError{Name: "a.cloudapp.net", Suffix: "cloudapp.net"}, 3},
		{"validity", &certgen.ValidityError{Reason: "past"}, 3},
		{"load", &export.InputError{Reason: "empty"}, 3},
		{"exists", &export.ExistsError{Path: "a"}, 3},
		{"output", &export.OutputError{Path: "a", Reason: "ro"}, 3},
		{"key mismatch", fmt.Errorf("%w x", export.ErrKeyMismatch), 3},
		{"check", &CheckFailedError{Err: errors.New("mismatch")}, 4},
		{"hint keeps code", WithHint(InputErrorf("x"), "y"), 3},
		{"azure refused", &azhttp.Error{StatusCode: 403, Code: "ForbiddenError"}, 5},
		{"azure conflict", fmt.Errorf("uploading: %w", &azhttp.Error{StatusCode: 409}), 5},
		{"azure busy", &azhttp.Error{StatusCode: 503, Code: "ServerBusy"}, 6},
		{"azure throttling", &azhttp.Error{StatusCode: 429}, 6},
		{"azure unreachable", &azhttp.UnavailableError{Err: errors.New("dial tcp: refused")}, 6},
		{"operation failed", &mgmtclient.OperationError{}, 5},
		{"no credential", &CredentialError{Err: errors.New("no token")}, 5},
		{"no azure credential", &azhttp.CredentialError{Err: errors.New("no token")}, 5},
		{"vpn operation failed", fmt.Errorf("adding: %w", &network.OperationError{Status: "Failed"}), 5},
		{"vpn root limit", &network.LimitError{Gateway: "rg/gw", Max: 20}, 5},
		{"vpn name in use", &network.NameInUseError{Kind: "root certificate", Name: "r"}, 5},
		{"vpn no point-to-site", fmt.Errorf("adding: %w", network.ErrNoPointToSite), 5},
		{"vpn conflicts", &network.ConflictError{Tries: 6, Err: &azhttp.Error{StatusCode: 412}}, 5},
		{"vpn conflicts, last answer lost", &network.ConflictError{Tries: 6, Err: &azhttp.UnavailableError{Err: errors.New("reset")}}, 5},
		{"vpn hint keeps code", WithHint(&network.LimitError{Gateway: "rg/gw", Max: 20}, "remove one"), 5},
		{"vpn timeout after the change was sent", fmt.Errorf("adding: %w", &network.TimeoutError{Sent: true, Err: context.DeadlineExceeded}), 6},
		{"vpn timeout waiting for another update", &network.TimeoutError{Err: context.DeadlineExceeded}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{`unknown command "x" for "azcert"`, `unknown command "x" for "azcert"`},
		{"a\tb\n", `a\tb\n`},
		{"say \"hi\"\x1b[2J", `say "hi"\x1b[2J`},
		{"back\\slash\x07", `back\\slash\a`},
		{"mark\u200e", `mark\u200e`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"café", "café"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
