// Package xmldepth bounds the nesting of XML before encoding/xml decodes it.
//
// encoding/xml keeps every open element on a stack while it decodes into a
// value, so a few megabytes of "<a><a><a>..." cost hundreds of megabytes.
// RawToken keeps no such stack, so Check walks the document with it first.
package xmldepth

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// Check returns an error if elements in data are nested more than limit
// deep. Syntax errors are left for the decoder to report: Check returns nil
// at the first one.
func Check(data []byte, limit int) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return nil
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > limit {
				return fmt.Errorf("elements are nested more than %d deep", limit)
			}
		case xml.EndElement:
			depth--
		}
	}
}
