package cmdutil

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

// Microsoft Graph's and the token endpoint's errors: their exit code
// (ExitCode) and the hint GraphHint gives them.
func TestGraphErrors(t *testing.T) {
	tokenErr, ok := entra.ParseTokenError(401, []byte(`{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.","error_codes":[700027]}`))
	if !ok {
		t.Fatal("ParseTokenError did not read the body")
	}
	tests := []struct {
		name string
		err  error
		code int
		hint string // "" for none
	}{
		{"denied", &azhttp.Error{StatusCode: 403, Code: graph.CodeDenied}, 5, "Application.ReadWrite.OwnedBy"},
		{"denied names .All", &azhttp.Error{StatusCode: 403, Code: graph.CodeDenied}, 5, "Application.ReadWrite.All"},
		{"not found", fmt.Errorf("reading: %w", &azhttp.Error{StatusCode: 404, Code: graph.CodeNotFound}), 5, "check --app"},
		{"not found names --service-principal", &azhttp.Error{StatusCode: 404, Code: graph.CodeNotFound}, 5, "--service-principal"},
		{"bad proof (401)", &azhttp.Error{StatusCode: 401, Code: graph.CodeMalformedAuth}, 5, "current (not expired) certificate credential"},
		{"bad proof (400)", &azhttp.Error{StatusCode: 400, Code: graph.CodeBadRequest, Message: "The proof is invalid."}, 5, "--proof-cert"},
		{"token refused", &azhttp.Error{StatusCode: 401, Code: graph.CodeInvalidToken}, 5, "--access-token"},
		{"other bad request", &azhttp.Error{StatusCode: 400, Code: graph.CodeBadRequest, Message: "keyCredential: bad."}, 5, ""},
		{"throttled after retries", &azhttp.Error{StatusCode: 429, Code: graph.CodeThrottled}, 6, ""},
		{"5xx after retries", &azhttp.Error{StatusCode: 503}, 6, ""},
		{"unreachable", &azhttp.UnavailableError{Err: errors.New("dial tcp: refused")}, 6, ""},
		{"token endpoint refused", fmt.Errorf("signing in: %w", tokenErr), 5, "register"},
		{"state: refused write", &graph.StateError{Op: "adding credential AB", State: "Graph refused the write; the credentials are as they were", Err: &azhttp.Error{StatusCode: 400}}, 5, "azcert entra list"},
		{"state: not confirmed", &graph.StateError{Op: "adding credential AB", State: "not confirmed after 3 writes"}, 1, "azcert entra list"},
		{"state: unknown, Graph gone", &graph.StateError{Op: "adding credential AB", State: "not known", Err: &azhttp.UnavailableError{Err: errors.New("reset")}}, 6, "azcert entra list"},
		{"state: not found inside", &graph.StateError{Op: "removing credential K", State: "unchanged", Err: &azhttp.Error{StatusCode: 404}}, 5, "azcert entra list"},
		{"hint kept", WithHint(&azhttp.Error{StatusCode: 403}, "mine"), 5, "mine"},
		{"plain", errors.New("boom"), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GraphHint(tt.err)
			if got := ExitCode(err); got != tt.code {
				t.Errorf("ExitCode(GraphHint(%v)) = %d, want %d", tt.err, got, tt.code)
			}
			var h *HintError
			switch {
			case tt.hint == "" && errors.As(err, &h):
				t.Errorf("GraphHint(%v) hint %q, want none", tt.err, h.Hint)
			case tt.hint != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint, tt.hint)):
				t.Errorf("GraphHint(%v) = %v, want a hint with %q", tt.err, err, tt.hint)
			}
		})
	}
}
