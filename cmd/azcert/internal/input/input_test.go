package input

import (
	"bytes"
	"testing"

	"github.com/azcert/azcert/pkg/export"
)

func TestReadBounded(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, tt := range []struct {
		name string
		size int64
		want int
	}{
		{"known size", int64(len(data)), len(data)},
		{"unknown size", 0, len(data)},
		{"grew after stat", 10, len(data)},
		{"shrank after stat", 5000, len(data)},
	} {
		got, err := readBounded(bytes.NewReader(data), tt.size)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: readBounded = %d bytes, %v; want %d bytes", tt.name, len(got), err, tt.want)
		}
	}
	big := bytes.NewReader(make([]byte, export.MaxInputSize+100))
	if got, err := readBounded(big, export.MaxInputSize+100); err != nil || len(got) != export.MaxInputSize+1 {
		t.Errorf("oversized: %d bytes, %v; want %d", len(got), err, export.MaxInputSize+1)
	}
}
