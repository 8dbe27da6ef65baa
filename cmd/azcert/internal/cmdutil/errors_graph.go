package cmdutil

import (
	"errors"
	"net/http"

	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

// Hints of the Microsoft Graph and Entra ID errors users can act on.
const (
	HintGraphDenied   = "changing an application's credentials needs the Microsoft Graph permission Application.ReadWrite.OwnedBy (with the caller an owner of the application) or Application.ReadWrite.All; reading them, Application.Read.All"
	HintGraphNotFound = "check --app (the application's app id or object id) and --service-principal (the app's service principal is another object than the application)"
	HintGraphBadProof = "the --proof-cert certificate must be a current (not expired) certificate credential of this object, with its key ('azcert entra list' shows them); without --proof-cert azcert writes the whole collection instead"
	HintGraphToken    = "the token was refused: get one for Microsoft Graph (az account get-access-token --resource https://graph.microsoft.com) or check --access-token (or AZCERT_ACCESS_TOKEN, which holds the token itself)"
	HintGraphState    = "run 'azcert entra list' with the same --app to see the credentials the object holds now"
)

// GraphHint adds to a Microsoft Graph or token endpoint error the hint
// that says what to do about it; other errors, and errors with a hint
// already, it returns as they are. Exit codes stay ExitCode's: a refusal
// is 5, throttling or a 5xx after the retries 6, a read-modify-write that
// did not end confirmed (*graph.StateError) the code of its last failure,
// else 1.
func GraphHint(err error) error {
	var h *HintError
	if err == nil || errors.As(err, &h) {
		return err
	}
	var te *entra.TokenError
	if errors.As(err, &te) {
		if hint := te.Hint(); hint != "" {
			return WithHint(err, "%s", hint)
		}
		return err
	}
	var se *graph.StateError
	var ae *azhttp.Error
	switch {
	case graph.IsBadProof(err):
		return WithHint(err, "%s", HintGraphBadProof)
	case graph.IsDenied(err):
		return WithHint(err, "%s", HintGraphDenied)
	case graph.IsNotFound(err) && !errors.As(err, &se):
		return WithHint(err, "%s", HintGraphNotFound)
	case errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized:
		return WithHint(err, "%s", HintGraphToken)
	case errors.As(err, &se):
		return WithHint(err, "%s", HintGraphState)
	}
	return err
}
