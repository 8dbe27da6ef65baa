package azhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// maxTracedBody is how much of a body a trace line shows.
const maxTracedBody = 2048

// tracePolicy writes each try's request and answer to w: the first line,
// the headers (values outside the allow-list REDACTED), and the body
// through the client's redactor. It sits below the retry policy, so each
// try is traced, and above the transport, whose bound on the answer's
// size it keeps.
type tracePolicy struct {
	mu      sync.Mutex
	w       io.Writer
	headers map[string]bool
	redact  func([]byte) []byte
}

func newTracePolicy(w io.Writer, headers []string, redact func([]byte) []byte) *tracePolicy {
	p := &tracePolicy{w: w, headers: map[string]bool{}, redact: redact}
	for _, h := range headers {
		p.headers[http.CanonicalHeaderKey(h)] = true
	}
	return p
}

func (p *tracePolicy) Do(req *policy.Request) (*http.Response, error) {
	r := req.Raw()
	var body []byte
	if req.Body() != nil {
		body, _ = io.ReadAll(req.Body())
		_ = req.RewindBody()
	}
	p.log(fmt.Sprintf("> %s %s", r.Method, r.URL), r.Header, body)
	resp, err := req.Next()
	if err != nil {
		p.mu.Lock()
		fmt.Fprintf(p.w, "azcert: debug: < error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		p.mu.Unlock()
		return resp, err
	}
	// The transport bounds the body; reading it whole here keeps that
	// bound's error for the pipeline, which reads the body next.
	data, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if rerr != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), errReader{rerr}))
	}
	p.log("< "+resp.Status, resp.Header, data)
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (p *tracePolicy) log(first string, h http.Header, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "azcert: debug: %s\n", first)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := "REDACTED"
		// A credential never shows, even if a client allow-lists it.
		if p.headers[http.CanonicalHeaderKey(k)] && !strings.EqualFold(k, "Authorization") {
			v = strings.Join(h[k], ", ")
		}
		fmt.Fprintf(p.w, "azcert: debug:   %s: %s\n", k, v)
	}
	if len(body) > 0 && p.redact != nil {
		b := p.redact(body)
		if len(b) > maxTracedBody {
			b = append(b[:maxTracedBody:maxTracedBody], "..."...)
		}
		fmt.Fprintf(p.w, "azcert: debug:   %s\n", strings.ReplaceAll(string(b), "\n", " "))
	}
}
