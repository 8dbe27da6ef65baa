package graph_test

import (
	"fmt"
	"testing"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/graph"
)

// IsBadProof accepts both answers a refused addKey/removeKey proof has
// had: 401 Authentication_MissingOrMalformed (Graph, as users report it;
// the emulator too) and a 400 Request_BadRequest naming the proof (the
// emulator before, and Graph's documentation's examples).
func TestIsBadProof(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"401 malformed", &azhttp.Error{StatusCode: 401, Code: graph.CodeMalformedAuth, Message: "Access Token missing or malformed."}, true},
		{"401 malformed, wrapped", fmt.Errorf("adding: %w", &azhttp.Error{StatusCode: 401, Code: graph.CodeMalformedAuth}), true},
		{"400 naming the proof", &azhttp.Error{StatusCode: 400, Code: graph.CodeBadRequest, Message: "The proof of possession is invalid: it is not signed by a current certificate credential."}, true},
		{"401 naming the proof", &azhttp.Error{StatusCode: 401, Code: "Unauthorized", Message: "Invalid proof."}, true},
		{"400 about something else", &azhttp.Error{StatusCode: 400, Code: graph.CodeBadRequest, Message: "keyCredential: the key is not a certificate."}, false},
		{"401 token", &azhttp.Error{StatusCode: 401, Code: graph.CodeInvalidToken, Message: "Access token validation failure."}, false},
		{"403", &azhttp.Error{StatusCode: 403, Code: graph.CodeDenied, Message: "Insufficient privileges to complete the operation."}, false},
		{"not an answer", fmt.Errorf("proof: dial tcp: refused"), false},
	} {
		if got := graph.IsBadProof(tt.err); got != tt.want {
			t.Errorf("%s: IsBadProof(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
