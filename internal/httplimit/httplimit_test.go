package httplimit

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

type fixed struct {
	body          []byte
	contentLength int64
}

func (f fixed) Do(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(f.body)), ContentLength: f.contentLength}, nil
}

func TestTransport(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://example.invalid/", nil)
	for _, tc := range []struct {
		name          string
		size          int
		contentLength int64
		tooLarge      bool
	}{
		{"small, length unknown", 10, -1, false},
		{"exactly the limit, length unknown", 100, -1, false},
		{"one byte over, length unknown", 101, -1, true},
		{"far over, length unknown", 100000, -1, true},
		{"over, length announced", 101, 101, true},
		{"empty", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(strings.Repeat("x", tc.size))
			resp, err := Transport(fixed{body, tc.contentLength}, 100).Do(req)
			var data []byte
			if err == nil {
				data, err = io.ReadAll(resp.Body)
			}
			var tl *TooLargeError
			if tc.tooLarge {
				if !errors.As(err, &tl) {
					t.Fatalf("err = %v, want *TooLargeError", err)
				}
				if len(data) > 100 {
					t.Errorf("read %d bytes past a limit of 100", len(data))
				}
				return
			}
			if err != nil || !bytes.Equal(data, body) {
				t.Fatalf("read %d bytes, err %v; want the %d bytes", len(data), err, len(body))
			}
		})
	}
}
