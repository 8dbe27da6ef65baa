package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// WriteJSON answers with v as the JSON body and status: HTML characters
// as they are (the services' bodies carry URLs and base64), no trailing
// newline, Content-Length set. The headers a service's wire format wants
// (Content-Type, Cache-Control, ...) are the caller's to set first; a
// missing Content-Type becomes "application/json; charset=utf-8". A value
// that does not encode answers 500 with an error body in ARM's shape
// rather than half an answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"error":{"code":"InternalServerError","message":"The emulator could not encode its answer."}}`)
		status = http.StatusInternalServerError
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// NewGUID returns a random (version 4) GUID in lower case, 8-4-4-4-12,
// the shape of Azure's request, operation and object ids.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return DashedGUID(hex.EncodeToString(b[:]))
}

// Clip makes a value taken from a request fit for an error message: control
// characters become '?' and it is cut at 100 bytes, "..." marking the cut.
func Clip(s string) string {
	const limit = 100
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

// SortedKeys returns m's keys in order, for answers and state files that
// do not change from run to run.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
