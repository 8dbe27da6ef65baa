package mgmtclient_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/mgmtclient"
)

// TestPublishSettingsNestingBounded: a publish settings file of a million
// nested elements (3 MB, under the size limit) is refused without taking
// memory out of proportion to it. Before the nesting check, encoding/xml's
// element stack made it cost about 186 MiB (found by the CLI's bad-input
// matrix, TestBadInputMatrix in cmd/azcert).
func TestPublishSettingsNestingBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><PublishData><PublishProfile SchemaVersion="2.0">`)
	for range 1_000_000 {
		b.WriteString("<a>")
	}
	data := b.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := mgmtclient.ParsePublishSettings(data)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "nested more than 32 deep") {
		t.Errorf("ParsePublishSettings(1e6 nested elements) error = %v, want the nesting refused", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("ParsePublishSettings allocated %d bytes for a %d-byte file, want at most 1 MiB", got, len(data))
	}
	// Real nesting (three levels) and a flat file of many siblings still parse
	// as far as their content allows.
	flat := `<PublishData><PublishProfile SchemaVersion="2.0">` + strings.Repeat("<x/>", 100000) + `</PublishProfile></PublishData>`
	if _, err := mgmtclient.ParsePublishSettings([]byte(flat)); err == nil || !strings.Contains(err.Error(), "lists no subscription") {
		t.Errorf("flat file: %v, want 'lists no subscription'", err)
	}
}
