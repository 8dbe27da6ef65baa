package azhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Error is an error answer from an Azure service.
type Error struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code and Message are the service's error code and message, or,
	// when the body is not in the service's error shape, no code and the
	// start of the body.
	Code    string
	Message string
	// RequestID is the answer's x-ms-request-id.
	RequestID string
	// CorrelationID is the answer's x-ms-correlation-request-id (ARM).
	CorrelationID string
	// RetryAfter is the wait the answer's Retry-After asked for (429,
	// 503), 0 when it gave none.
	RetryAfter time.Duration
}

// Error gives the status, the code, the message and the request id:
// "404 Not Found: ResourceNotFound: The certificate was not found.
// (x-ms-request-id 0a1b...)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", strings.TrimSpace(e.Message))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (x-ms-request-id %s)", e.RequestID)
	}
	return b.String()
}

// Temporary reports whether the service was unavailable (5xx or
// throttling) rather than refusing the request.
func (e *Error) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// maxMessage bounds the Message taken from a body that is not in the
// service's error shape (an HTML page from a proxy, say).
const maxMessage = 300

// ParseError makes the *Error of an error answer: its status, its request
// and correlation ids, and the code and message that parse reads from the
// body (nil: ParseJSONError). A body parse does not read becomes the
// message, trimmed and cut to 300 bytes.
func ParseError(resp *http.Response, body []byte, parse func([]byte) (code, message string, ok bool)) *Error {
	e := &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"),
		CorrelationID: resp.Header.Get("x-ms-correlation-request-id")}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			e.RetryAfter = max(time.Until(t), 0)
		}
	}
	if parse == nil {
		parse = ParseJSONError
	}
	if code, msg, ok := parse(body); ok {
		e.Code, e.Message = code, msg
	} else if len(body) > 0 {
		msg := strings.TrimSpace(string(body))
		if len(msg) > maxMessage {
			msg = msg[:maxMessage] + "..."
		}
		e.Message = msg
	}
	return e
}

// ParseJSONError reads the error body of Azure Resource Manager and the
// services shaped like it (Key Vault, Microsoft Graph):
// {"error": {"code": "...", "message": "...", "details": [...]}}. ok is
// false unless the body is such JSON with a code.
// https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md#error-response-content
func ParseJSONError(body []byte) (code, message string, ok bool) {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error.Code == "" {
		return "", "", false
	}
	return b.Error.Code, b.Error.Message, true
}

// UnavailableError reports that the service gave no usable answer: a
// network error, a timeout, or retriable errors until the retries or the
// time ran out, or an answer too large to read.
type UnavailableError struct {
	// Service names the service: "Azure" when empty.
	Service string
	Err     error
	// Answered reports that the service did answer, with errors worth
	// retrying, until the retries or the time ran out.
	Answered bool
}

// Error says which of the three it was: "Azure is unreachable: ...",
// "Azure is unavailable: ..." (Answered), or "Azure's answer cannot be
// used: ..." (too large).
func (e *UnavailableError) Error() string {
	service := e.Service
	if service == "" {
		service = "Azure"
	}
	var tl *TooLargeError
	if errors.As(e.Err, &tl) {
		return service + "'s answer cannot be used: " + e.Err.Error()
	}
	if e.Answered {
		return service + " is unavailable: " + e.Err.Error()
	}
	return service + " is unreachable: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// CredentialError reports that no bearer token could be had.
type CredentialError struct{ Err error }

// Error is the credential's own message.
func (e *CredentialError) Error() string { return e.Err.Error() }

// Unwrap returns the credential's error.
func (e *CredentialError) Unwrap() error { return e.Err }

// markingCredential turns the credential's failures into *CredentialError,
// so callers can tell "no token" from "no answer".
type markingCredential struct{ azcore.TokenCredential }

func (m markingCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	t, err := m.TokenCredential.GetToken(ctx, o)
	if err != nil {
		return t, &CredentialError{Err: err}
	}
	return t, nil
}

// StaticToken is a credential that always returns the same bearer token,
// whatever the scope or tenant asked for: a token given on the command
// line (--access-token), or the emulator's.
type StaticToken string

// GetToken implements azcore.TokenCredential.
func (t StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}
