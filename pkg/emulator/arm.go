package emulator

import (
	"net/http"
	"regexp"
)

// The parts of Azure Resource Manager's wire format that every ARM
// service of the emulator shares
// (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling,
// https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md).

// ARMErrorBody is the "error" member of ARM's error answer and each of its
// details.
type ARMErrorBody struct {
	Code    string         `json:"code"`
	Target  string         `json:"target,omitempty"`
	Message string         `json:"message"`
	Details []ARMErrorBody `json:"details,omitempty"`
}

// ARMError is ARM's error answer: {"error": {"code", "message", ...}}.
type ARMError struct {
	Error ARMErrorBody `json:"error"`
}

// WriteARMError answers status with an ARMError.
func WriteARMError(w http.ResponseWriter, status int, code, message string, details ...ARMErrorBody) {
	WriteJSON(w, status, &ARMError{Error: ARMErrorBody{Code: code, Message: message, Details: details}})
}

// WriteARMFault answers an injected fault as ARM does: throttling is 429
// with Retry-After, an internal error 500, a redirect 307 (its Location
// set already).
func WriteARMFault(w http.ResponseWriter, kind FaultKind, location string) {
	switch kind {
	case FaultThrottle:
		w.Header().Set("Retry-After", "1")
		WriteARMError(w, http.StatusTooManyRequests, "TooManyRequests", "Rate limit is exceeded. Try again in 1 seconds.")
	case FaultInternalError:
		WriteARMError(w, http.StatusInternalServerError, "InternalServerError", "The server encountered an internal error. Please retry the request.")
	case FaultRedirect:
		WriteARMError(w, http.StatusTemporaryRedirect, "TemporaryRedirect", "The request must be sent to "+location+".")
	}
}

var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ValidGUID reports whether s is a GUID, 8-4-4-4-12 hex digits.
func ValidGUID(s string) bool { return guidRE.MatchString(s) }

// ARMBegin is Service.Begin for an ARM service: it echoes the client's
// x-ms-correlation-request-id when that is a GUID, as ARM does, else sets
// a new one, and returns a new request id.
func ARMBegin(w http.ResponseWriter, r *http.Request) string {
	corr := r.Header.Get("x-ms-correlation-request-id")
	if !ValidGUID(corr) {
		corr = NewGUID()
	}
	w.Header().Set("x-ms-correlation-request-id", corr)
	return NewGUID()
}
