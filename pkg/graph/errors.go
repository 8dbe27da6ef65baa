package graph

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/azcert/azcert/pkg/azhttp"
)

// Error is a Graph error answer: status, code, message and request id.
// Its Code is the innermost code of the answer.
type Error = azhttp.Error

// UnavailableError reports that Graph could not be reached, or gave no
// usable answer ("Microsoft Graph is unreachable: ...", "... is
// unavailable: ...").
type UnavailableError = azhttp.UnavailableError

// CredentialError reports that no token could be had.
type CredentialError = azhttp.CredentialError

// The error codes Graph gives for what azcert does.
// https://learn.microsoft.com/graph/errors
// https://learn.microsoft.com/graph/throttling
const (
	CodeNotFound     = "Request_ResourceNotFound"
	CodeDenied       = "Authorization_RequestDenied"
	CodeBadRequest   = "Request_BadRequest"
	CodeInvalidToken = "InvalidAuthenticationToken"
	CodeThrottled    = "TooManyRequests"
	// CodeMalformedAuth is what Graph has answered (401) to addKey and
	// removeKey with a proof it does not accept ("Access Token missing or
	// malformed."), as reported in microsoftgraph/microsoft-graph-docs
	// issues 10686 and 22076.
	CodeMalformedAuth = "Authentication_MissingOrMalformed"
)

// maxInnerErrors bounds how deep ParseError follows innerError.
const maxInnerErrors = 16

// graphError is Graph's error shape; innerError carries the date and the
// request ids, and for some answers a more precise code.
type graphError struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	InnerError *graphError `json:"innerError"`
	// Some services spell it innererror (OData's own spelling).
	InnerErrorLower *graphError `json:"innererror"`
	RequestID       string      `json:"request-id"`
}

func (e *graphError) inner() *graphError {
	if e.InnerError != nil {
		return e.InnerError
	}
	return e.InnerErrorLower
}

// ParseError reads a Graph error body,
// {"error":{"code":"Authorization_RequestDenied","message":"Insufficient
// privileges to complete the operation.","innerError":{"date":"...",
// "request-id":"...","client-request-id":"..."}}}: the code is the
// innermost one given, the message the outer one (or the first inner one
// when the outer is empty). ok is false unless the body is such JSON with
// a code.
// https://learn.microsoft.com/graph/errors#json-representation
func ParseError(body []byte) (code, message string, ok bool) {
	var b struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return "", "", false
	}
	code, message = b.Error.Code, b.Error.Message
	for e, depth := b.Error.inner(), 0; e != nil && depth < maxInnerErrors; e, depth = e.inner(), depth+1 {
		if e.Code != "" {
			code = e.Code
		}
		if message == "" {
			message = e.Message
		}
	}
	return code, message, code != ""
}

// innerRequestID is the request-id of an error body's innerError.
func innerRequestID(body []byte) string {
	var b struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return ""
	}
	for e, depth := b.Error, 0; e != nil && depth < maxInnerErrors; e, depth = e.inner(), depth+1 {
		if e.RequestID != "" {
			return e.RequestID
		}
	}
	return ""
}

// IsNotFound reports a 404 answer: no such application, service principal
// or credential.
func IsNotFound(err error) bool { return azhttp.IsNotFound(err) }

// IsDenied reports Authorization_RequestDenied (403): the caller lacks the
// permission (Application.ReadWrite.OwnedBy or .All, or ownership of the
// app) to change it.
// https://learn.microsoft.com/graph/api/application-update#permissions
func IsDenied(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == CodeDenied || e.StatusCode == http.StatusForbidden)
}

// IsBadProof reports that addKey or removeKey refused the proof of
// possession: 401 Authentication_MissingOrMalformed (what Graph has
// answered), or a 400/401 whose message names the proof.
func IsBadProof(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Code == CodeMalformedAuth {
		return true
	}
	return (e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized) &&
		strings.Contains(strings.ToLower(e.Message), "proof")
}
