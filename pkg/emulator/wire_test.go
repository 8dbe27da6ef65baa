package emulator

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	for _, tt := range []struct {
		name        string
		contentType string
		v           any
		wantStatus  int
		wantType    string
		wantBody    string
	}{
		{"default type, no HTML escaping", "", map[string]string{"url": "https://x/?a=1&b=<2>"}, http.StatusCreated, "application/json; charset=utf-8", `{"url":"https://x/?a=1&b=<2>"}`},
		{"the caller's type", "application/json;odata.metadata=minimal", []int{1}, http.StatusCreated, "application/json;odata.metadata=minimal", `[1]`},
		{"a value that does not encode", "", func() {}, http.StatusInternalServerError, "application/json; charset=utf-8", `{"error":{"code":"InternalServerError","message":"The emulator could not encode its answer."}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if tt.contentType != "" {
				w.Header().Set("Content-Type", tt.contentType)
			}
			WriteJSON(w, http.StatusCreated, tt.v)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := w.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(len(tt.wantBody)); got != want {
				t.Errorf("Content-Length = %q, want %q", got, want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("a", 150)
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"new\nline\x7f", "new?line?"},
		{long, long[:100] + "..."},
	} {
		if got := Clip(tt.in); got != tt.want {
			t.Errorf("Clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewGUIDAndSortedKeys(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := NewGUID(), NewGUID()
	if !v4.MatchString(a) || a == b {
		t.Errorf("NewGUID() = %q then %q, want two different version-4 GUIDs", a, b)
	}
	if got := SortedKeys(map[string]int{"b": 1, "c": 2, "a": 3}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("SortedKeys = %v, want [a b c]", got)
	}
}
