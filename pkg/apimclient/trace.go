package apimclient

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// tracePolicy writes each try's request and response to w, redacting the
// Authorization header and the .pfx data and password in bodies.
type tracePolicy struct {
	mu sync.Mutex
	w  io.Writer
}

var tracedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Etag": true, "If-Match": true, "Location": true,
	"Retry-After": true, "X-Ms-Request-Id": true, "X-Ms-Correlation-Request-Id": true, "Date": true, "Accept": true,
}

var secretJSON = regexp.MustCompile(`"(data|password)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact hides the .pfx data and password of a request body.
func Redact(body []byte) []byte {
	return secretJSON.ReplaceAll(body, []byte(`"$1":"REDACTED"`))
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
		fmt.Fprintf(p.w, "azcert: debug: < error: %v\n", strings.ReplaceAll(err.Error(), "\n", " "))
		p.mu.Unlock()
		return resp, err
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	p.log("< "+resp.Status, resp.Header, data)
	return resp, nil
}

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
		if tracedHeaders[http.CanonicalHeaderKey(k)] {
			v = strings.Join(h[k], ", ")
		}
		fmt.Fprintf(p.w, "azcert: debug:   %s: %s\n", k, v)
	}
	if len(body) > 0 {
		b := Redact(body)
		if len(b) > 2048 {
			b = append(b[:2048:2048], "..."...)
		}
		fmt.Fprintf(p.w, "azcert: debug:   %s\n", strings.ReplaceAll(string(b), "\n", " "))
	}
}
