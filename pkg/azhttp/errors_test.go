package azhttp_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/azhttp"
)

func answer(status int, h map[string]string) *http.Response {
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range h {
		resp.Header.Set(k, v)
	}
	return resp
}

// xmlLike stands for a client's own error parser: "CODE|MESSAGE".
func xmlLike(b []byte) (string, string, bool) {
	code, msg, ok := strings.Cut(string(b), "|")
	return code, msg, ok
}

func TestParseError(t *testing.T) {
	long := strings.Repeat("x", 400)
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		parse  func([]byte) (string, string, bool)
		want   azhttp.Error
	}{
		{name: "ARM JSON", status: 404, header: map[string]string{"x-ms-request-id": "req-1", "x-ms-correlation-request-id": "corr-1"},
			body: `{"error":{"code":"ResourceNotFound","message":"Certificate not found.","details":[]}}`,
			want: azhttp.Error{StatusCode: 404, Code: "ResourceNotFound", Message: "Certificate not found.", RequestID: "req-1", CorrelationID: "corr-1"}},
		{name: "JSON without a code is text", status: 400, body: `{"error":{"message":"m"}}`,
			want: azhttp.Error{StatusCode: 400, Message: `{"error":{"message":"m"}}`}},
		{name: "an HTML page is cut", status: 502, body: "  <html>" + long + "</html>\n",
			want: azhttp.Error{StatusCode: 502, Message: ("<html>" + long)[:300] + "..."}},
		{name: "empty body", status: 503, want: azhttp.Error{StatusCode: 503}},
		{name: "the client's parser", status: 409, body: "ConflictError|A certificate with the thumbprint exists.", parse: xmlLike,
			header: map[string]string{"x-ms-request-id": "0a1b"},
			want:   azhttp.Error{StatusCode: 409, Code: "ConflictError", Message: "A certificate with the thumbprint exists.", RequestID: "0a1b"}},
		{name: "the client's parser refuses", status: 500, body: "oops", parse: xmlLike,
			want: azhttp.Error{StatusCode: 500, Message: "oops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := azhttp.ParseError(answer(tt.status, tt.header), []byte(tt.body), tt.parse)
			if *got != tt.want {
				t.Errorf("ParseError = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		e    azhttp.Error
		want string
	}{
		{azhttp.Error{StatusCode: 404, Code: "ResourceNotFound", Message: " The certificate was not found.\n", RequestID: "0a1b"},
			"404 Not Found: ResourceNotFound: The certificate was not found. (x-ms-request-id 0a1b)"},
		{azhttp.Error{StatusCode: 403, Code: "ForbiddenError", Message: "The server failed to authenticate the request."},
			"403 Forbidden: ForbiddenError: The server failed to authenticate the request."},
		{azhttp.Error{StatusCode: 502, CorrelationID: "c"}, "502 Bad Gateway"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestTemporary(t *testing.T) {
	for status, want := range map[int]bool{400: false, 403: false, 404: false, 409: false, 412: false, 429: true, 500: true, 503: true, 504: true} {
		if got := (&azhttp.Error{StatusCode: status}).Temporary(); got != want {
			t.Errorf("Error{%d}.Temporary() = %v, want %v", status, got, want)
		}
	}
}

func TestIsNotFound(t *testing.T) {
	if !azhttp.IsNotFound(fmt.Errorf("getting: %w", &azhttp.Error{StatusCode: 404})) {
		t.Error("IsNotFound(wrapped 404) = false")
	}
	if azhttp.IsNotFound(&azhttp.Error{StatusCode: 403}) || azhttp.IsNotFound(errors.New("404")) {
		t.Error("IsNotFound is true for something else than a 404 answer")
	}
}

// TestUnavailableWording: "unreachable" when nothing answered,
// "unavailable" when the service answered with errors worth retrying,
// "cannot be used" for an answer too large, each with the service's name.
func TestUnavailableWording(t *testing.T) {
	cause := errors.New("GET /x: boom")
	tooLarge := fmt.Errorf("GET /x: %w", &azhttp.TooLargeError{Limit: 16 << 20})
	tests := []struct {
		e    azhttp.UnavailableError
		want string
	}{
		{azhttp.UnavailableError{Err: cause}, "Azure is unreachable: GET /x: boom"},
		{azhttp.UnavailableError{Err: cause, Answered: true}, "Azure is unavailable: GET /x: boom"},
		{azhttp.UnavailableError{Err: tooLarge, Answered: true}, "Azure's answer cannot be used: GET /x: the answer is larger than 16 MiB"},
		{azhttp.UnavailableError{Service: "Azure Resource Manager", Err: cause}, "Azure Resource Manager is unreachable: GET /x: boom"},
		{azhttp.UnavailableError{Service: "Azure Resource Manager", Err: cause, Answered: true}, "Azure Resource Manager is unavailable: GET /x: boom"},
		{azhttp.UnavailableError{Service: "Azure Resource Manager", Err: tooLarge}, "Azure Resource Manager's answer cannot be used: GET /x: the answer is larger than 16 MiB"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
		if !errors.Is(&tt.e, tt.e.Err) {
			t.Errorf("%q does not unwrap to its cause", tt.want)
		}
	}
}

func FuzzParseError(f *testing.F) {
	f.Add(`{"error":{"code":"ResourceNotFound","message":"Certificate not found."}}`)
	f.Add(`{"error":{"code":"","message":"x"}}`)
	f.Add(`{"error":"flat"}`)
	f.Add(`<Error><Code>X</Code></Error>`)
	f.Add(strings.Repeat("[", 10000))
	f.Fuzz(func(t *testing.T, body string) {
		e := azhttp.ParseError(answer(400, nil), []byte(body), nil)
		code, msg, ok := azhttp.ParseJSONError([]byte(body))
		if ok != (code != "") {
			t.Fatalf("ParseJSONError(%q) = %q, %q, %v: ok without a code", body, code, msg, ok)
		}
		if ok && (e.Code != code || e.Message != msg) {
			t.Fatalf("ParseError(%q) = %+v, want code %q message %q", body, e, code, msg)
		}
		if !ok && len(e.Message) > 303 {
			t.Fatalf("ParseError(%q) kept a %d-byte message of a body in no error shape", body, len(e.Message))
		}
		_ = e.Error()
	})
}

// ParseError keeps the wait a 429 or 503 asked for, in seconds or as a date.
func TestParseErrorRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{{"7", 7 * time.Second}, {"", 0}, {"soon", 0}, {"-1", 0}} {
		resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
		if tt.header != "" {
			resp.Header.Set("Retry-After", tt.header)
		}
		if e := azhttp.ParseError(resp, nil, nil); e.RetryAfter != tt.want {
			t.Errorf("Retry-After %q: RetryAfter = %v, want %v", tt.header, e.RetryAfter, tt.want)
		}
	}
	resp := &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}}
	if e := azhttp.ParseError(resp, nil, nil); e.RetryAfter < 59*time.Minute || e.RetryAfter > time.Hour {
		t.Errorf("Retry-After as a date: RetryAfter = %v, want about an hour", e.RetryAfter)
	}
}
