package mgmtclient

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

// tracePolicy writes each request and response (one try each) to w. Header
// values other than a short allow-list are redacted, and so are the bodies'
// passwords and .pfx data.
type tracePolicy struct {
	mu sync.Mutex
	w  io.Writer
}

var tracedHeaders = map[string]bool{
	"X-Ms-Version": true, "Content-Type": true, "Content-Length": true, "Location": true,
	"X-Ms-Request-Id": true, "Retry-After": true, "Date": true, "Accept": true, "User-Agent": true,
	"X-Ms-Client-Request-Id": true,
}

var secretElements = regexp.MustCompile(`(?s)<(Password|Data)>.*?</(Password|Data)>`)

// Redact hides passwords and certificate-file data in an XML body. Public
// management-certificate data (SubscriptionCertificateData) is kept.
func Redact(body []byte) []byte {
	return secretElements.ReplaceAllFunc(body, func(m []byte) []byte {
		name := m[1:bytes.IndexByte(m, '>')]
		return []byte("<" + string(name) + ">REDACTED</" + string(name) + ">")
	})
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
		fmt.Fprintf(p.w, "azcert: debug: < error: %v\n", err)
		p.mu.Unlock()
		return resp, err
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if rerr != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), errReader{rerr}))
	}
	p.log(fmt.Sprintf("< %s", resp.Status), resp.Header, data)
	return resp, err
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
