// Package httplimit bounds the size of the answers an azcore pipeline reads.
//
// azcore's pipeline reads every response body into memory before any
// policy or caller sees it, without a limit. Transport wraps the transport
// at the bottom of the pipeline so that a body larger than the limit fails
// while it is read, with an error azcore does not retry.
package httplimit

import (
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TooLargeError is returned while reading a body larger than Limit bytes.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %d MiB", e.Limit>>20)
}

// NonRetriable tells azcore's retry policy that asking again will not help.
func (*TooLargeError) NonRetriable() {}

// Transport returns a transporter that sends with next and fails reading
// any response body after limit bytes.
func Transport(next policy.Transporter, limit int64) policy.Transporter {
	return &transport{next: next, limit: limit}
}

type transport struct {
	next  policy.Transporter
	limit int64
}

func (t *transport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.limit {
		resp.Body.Close()
		return nil, &TooLargeError{Limit: t.limit}
	}
	resp.Body = &body{rc: resp.Body, left: t.limit, limit: t.limit}
	return resp, nil
}

type body struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more than the limit tells a body of exactly the limit
		// from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, &TooLargeError{Limit: b.limit}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
