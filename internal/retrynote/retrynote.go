// Package retrynote makes the retries of an azcore pipeline visible: a
// caller learns of each retry before its back-off (what the last answer
// was, how long the wait, attempt k of n), and an error that ends the
// retries (the time limit running out) names the last answer, not only
// "context deadline exceeded". Both Azure clients install its two
// policies; the retrying itself stays azcore's.
package retrynote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Retry describes a retry about to happen.
type Retry struct {
	// Attempt is the attempt that just failed (1 is the first request);
	// Of is how many attempts there are at most.
	Attempt, Of int
	// Answer is the failed attempt's answer: "503 TooManyRequests", "429",
	// or the network error.
	Answer string
	// Wait is the back-off before the next attempt: the Retry-After the
	// answer asked for, or else the nominal exponential delay (azcore adds
	// jitter of -20% to +30%).
	Wait time.Duration
	// RetryAfter reports that Wait comes from the answer's Retry-After.
	RetryAfter bool
}

func (r Retry) String() string {
	wait := "about " + r.Wait.Round(100*time.Millisecond).String()
	if r.RetryAfter {
		wait = r.Wait.Round(100*time.Millisecond).String() + " (Retry-After)"
	}
	return fmt.Sprintf("retrying in %s after %s (attempt %d of %d failed)", wait, r.Answer, r.Attempt, r.Of)
}

// Options mirrors the pipeline's policy.RetryOptions, with the callback.
type Options struct {
	Retry policy.RetryOptions
	// OnRetry, if set, is called before each back-off.
	OnRetry func(Retry)
}

// Policies returns the per-call and the per-retry policy to install
// (policy.ClientOptions.PerCallPolicies and PerRetryPolicies).
func Policies(o Options) (perCall, perRetry policy.Policy) {
	return callPolicy{}, &tryPolicy{o: o}
}

type trackerKey struct{}

// tracker is what the tries of one call have seen.
type tracker struct {
	mu       sync.Mutex
	attempts int
	last     string
	// answered reports that some attempt had an HTTP answer (not only
	// network errors).
	answered bool
}

type callPolicy struct{}

func (callPolicy) Do(req *policy.Request) (*http.Response, error) {
	tr := &tracker{}
	req = req.WithContext(context.WithValue(req.Raw().Context(), trackerKey{}, tr))
	resp, err := req.Next()
	// Only an error that the time running out caused needs the last
	// answer added; any other error is the last answer.
	if err != nil && req.Raw().Context().Err() != nil {
		tr.mu.Lock()
		attempts, last, answered := tr.attempts, tr.last, tr.answered
		tr.mu.Unlock()
		if last != "" && attempts > 0 {
			return resp, &ExhaustedError{Err: err, Attempts: attempts, Last: last, Answered: answered}
		}
	}
	return resp, err
}

type tryPolicy struct{ o Options }

func (p *tryPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil && Untrusted(err) {
		// No retry makes an untrusted server trusted: stop at once.
		err = nonRetriable{err}
	}
	tr, _ := req.Raw().Context().Value(trackerKey{}).(*tracker)
	if tr == nil {
		return resp, err
	}
	if err != nil && req.Raw().Context().Err() != nil {
		return resp, err // the call is over; nothing is retried
	}
	answer := ""
	switch {
	case err != nil:
		answer = err.Error()
	case resp != nil:
		answer = Describe(resp)
	}
	tr.mu.Lock()
	tr.attempts++
	attempt := tr.attempts
	if resp != nil {
		tr.answered = true
	}
	if err != nil || resp.StatusCode >= 400 {
		tr.last = answer
	} else {
		tr.last = ""
	}
	tr.mu.Unlock()
	if p.o.OnRetry == nil || !p.retriable(resp, err) {
		return resp, err
	}
	max := int(p.o.Retry.MaxRetries)
	if max < 0 {
		max = 0
	}
	if attempt > max {
		return resp, err
	}
	r := Retry{Attempt: attempt, Of: max + 1, Answer: answer, Wait: p.delay(attempt)}
	if resp != nil {
		if d, ok := retryAfter(resp); ok {
			r.Wait, r.RetryAfter = d, true
		}
	}
	if r.RetryAfter && p.beyondCap(r.Wait) {
		// azcore does not retry an answer that asks for a longer wait
		// than MaxRetryDelay: there is no retry to tell of.
		return resp, err
	}
	p.o.OnRetry(r)
	return resp, err
}

func (p *tryPolicy) retriable(resp *http.Response, err error) bool {
	if err != nil {
		var nre interface{ NonRetriable() }
		return !errors.As(err, &nre)
	}
	codes := p.o.Retry.StatusCodes
	if codes == nil {
		// azcore's defaults.
		codes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	}
	return slices.Contains(codes, resp.StatusCode)
}

// beyondCap reports a Retry-After wait longer than azcore accepts:
// MaxRetryDelay, 60 s when 0, no limit when negative.
func (p *tryPolicy) beyondCap(wait time.Duration) bool {
	ceiling := p.o.Retry.MaxRetryDelay
	if ceiling == 0 {
		ceiling = 60 * time.Second
	}
	return ceiling > 0 && wait > ceiling
}

// delay is azcore's exponential back-off without its jitter.
func (p *tryPolicy) delay(attempt int) time.Duration {
	base, ceiling := p.o.Retry.RetryDelay, p.o.Retry.MaxRetryDelay
	if base <= 0 {
		base = 800 * time.Millisecond
	}
	if ceiling <= 0 {
		ceiling = 60 * time.Second
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// Untrusted reports an error that says the server's TLS certificate did
// not verify (unknown authority, wrong name, expired): a trust problem on
// this side, which retrying cannot change.
func Untrusted(err error) bool {
	var (
		ve *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// nonRetriable marks an error that azcore's retry policy must not retry.
type nonRetriable struct{ error }

func (nonRetriable) NonRetriable()   {}
func (e nonRetriable) Unwrap() error { return e.error }

// Describe names an answer the way users read it: the status and, where
// the body or the x-ms-error-code header carries one, Azure's error code
// ("503 TooManyRequests"). It reads the body through runtime.Payload,
// which keeps it for the caller.
func Describe(resp *http.Response) string {
	code := resp.Header.Get("x-ms-error-code")
	if code == "" {
		if data, err := runtime.Payload(resp); err == nil && len(data) > 0 && len(data) < 64<<10 {
			var x struct {
				Code string `xml:"Code"`
			}
			var j struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if xml.Unmarshal(data, &x) == nil {
				code = x.Code
			} else if json.Unmarshal(data, &j) == nil {
				code = j.Error.Code
			}
		}
	}
	code = strings.TrimSpace(code)
	if len(code) > 80 {
		code = code[:80]
	}
	if code == "" {
		return strconv.Itoa(resp.StatusCode)
	}
	return strconv.Itoa(resp.StatusCode) + " " + code
}

// ExhaustedError is an error that ended a call after at least one attempt
// had failed: typically the time limit running out while waiting to retry.
// It names the last failure: an HTTP answer, or the network error.
type ExhaustedError struct {
	Err      error
	Attempts int
	Last     string
	// Answered reports that at least one attempt had an HTTP answer; when
	// false, every attempt failed on the network (nothing listening, a
	// reset, DNS), and Last is that error.
	Answered bool
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("%v (after %d attempts; last answer %s)", e.Err, e.Attempts, e.Last)
}

func (e *ExhaustedError) Unwrap() error { return e.Err }

// Last returns the ExhaustedError an error from the pipeline carries, if
// any: the last failure, how many attempts were made, and whether the
// service answered at all.
func Last(err error) (*ExhaustedError, bool) {
	var e *ExhaustedError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Summary says how the retries of a call ended, for an error that the
// time limit cut short: "the time limit ran out after 2 attempts; the
// last answer was 503 TooManyRequests" when the service answered, or
// "no answer in time after 2 attempts; the last attempt failed: dial tcp
// ...: connection refused" when it never did.
func (e *ExhaustedError) Summary() string {
	if e.Answered {
		return fmt.Sprintf("the time limit ran out after %d attempts; the last answer was %s", e.Attempts, e.Last)
	}
	return fmt.Sprintf("no answer in time after %d attempts; the last attempt failed: %s", e.Attempts, e.Last)
}
