package cscfg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxFileSize is the largest .cscfg or .csdef this package reads. Real
// files are a few kilobytes; the bound keeps a hostile input from costing
// more than a moment.
const MaxFileSize = 8 << 20

// maxDepth bounds element nesting. A service configuration nests at most
// about six levels (NetworkConfiguration is the deepest part).
const maxDepth = 64

// The XML namespaces of the two files, from the Cloud Services schema
// reference: https://learn.microsoft.com/azure/cloud-services/schema-cscfg-file
// and https://learn.microsoft.com/azure/cloud-services/schema-csdef-file.
const (
	configNamespace     = "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"
	definitionNamespace = "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition"
)

// docKind describes which document walk expects.
type docKind struct {
	root string // local name of the root element
	ns   string // its namespace
	kind string // for messages
}

var (
	configKind     = docKind{"ServiceConfiguration", configNamespace, "service configuration (.cscfg)"}
	definitionKind = docKind{"ServiceDefinition", definitionNamespace, "service definition (.csdef)"}
)

// FormatError reports a file that is not a service configuration or
// service definition this package can read, or edit without disturbing
// the rest of the file.
type FormatError struct {
	// Kind is what the file should have been: "service configuration
	// (.cscfg)" or "service definition (.csdef)".
	Kind string
	// Line is the 1-based line of the problem, or 0 when it has none.
	Line   int
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("not a valid %s: line %d: %s", e.Kind, e.Line, e.Reason)
	}
	return fmt.Sprintf("not a valid %s: %s", e.Kind, e.Reason)
}

func (k docKind) errorf(line int, format string, a ...any) error {
	return &FormatError{Kind: k.kind, Line: line, Reason: fmt.Sprintf(format, a...)}
}

// element is a start tag found by walk.
type element struct {
	xml.StartElement
	start, end int // byte range of the whole tag, "<" to ">", in the input
	line       int // 1-based line of its "<"
}

func (e element) is(ns, local string) bool {
	return e.Name.Space == ns && e.Name.Local == local
}

// attr returns the value of the attribute without a namespace called local.
func (e element) attr(local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

var (
	utf8BOM    = []byte("\xef\xbb\xbf")
	utf16BEBOM = []byte("\xfe\xff")
	utf16LEBOM = []byte("\xff\xfe")
)

// encodingError is returned by the decoder's CharsetReader: only UTF-8 is
// read, because the byte offsets used for editing are offsets into the
// file as it is.
type encodingError struct{ label string }

func (e *encodingError) Error() string {
	return fmt.Sprintf("the file declares the encoding %q; only UTF-8 is supported", e.label)
}

// walk checks that data is one well-formed XML document of kind k without a
// document type declaration, and calls visit for every start tag with the
// chain of open elements, root first and the new element last. visit must
// not keep the slice.
func walk(data []byte, k docKind, visit func(stack []element) error) error {
	switch {
	case len(data) == 0:
		return k.errorf(0, "the file is empty")
	case len(data) > MaxFileSize:
		return k.errorf(0, "the file is %d bytes, more than the limit of %d", len(data), MaxFileSize)
	case bytes.HasPrefix(data, utf16BEBOM), bytes.HasPrefix(data, utf16LEBOM):
		return k.errorf(0, "the file is UTF-16; only UTF-8 is supported (save it as UTF-8)")
	}
	base := 0
	if bytes.HasPrefix(data, utf8BOM) {
		base = len(utf8BOM)
	}
	d := xml.NewDecoder(bytes.NewReader(data[base:]))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		return nil, &encodingError{label}
	}
	lines := lineCounter{data: data, line: 1}
	var stack []element
	rootDone := false
	for {
		start := base + int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			var ee *encodingError
			switch {
			case errors.As(err, &se):
				return k.errorf(se.Line, "%s", se.Msg)
			case errors.As(err, &ee):
				return k.errorf(lines.at(start), "%s", ee.Error())
			}
			return k.errorf(lines.at(start), "%v", err)
		}
		end := base + int(d.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			line := lines.at(start)
			if len(stack) == 0 {
				if rootDone {
					return k.errorf(line, "a second root element <%s> after the end of <%s>", t.Name.Local, k.root)
				}
				if err := k.checkRoot(t.Name, line); err != nil {
					return err
				}
			}
			if len(stack) >= maxDepth {
				return k.errorf(line, "elements are nested more than %d deep", maxDepth)
			}
			if dup, ok := duplicateAttr(t.Attr); ok {
				return k.errorf(line, "element <%s> has two attributes called %q", t.Name.Local, dup)
			}
			// The decoder's offsets must frame exactly the tag; anything
			// else means the bytes cannot be edited safely.
			if start < 0 || end > len(data) || end-start < 3 || data[start] != '<' || data[end-1] != '>' {
				return k.errorf(line, "cannot locate the element <%s> in the file", t.Name.Local)
			}
			stack = append(stack, element{StartElement: t, start: start, end: end, line: line})
			if err := visit(stack); err != nil {
				return err
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				rootDone = true
			}
		case xml.CharData:
			if len(stack) == 0 && len(bytes.Trim(t, " \t\r\n")) != 0 {
				return k.errorf(lines.at(start), "text outside the root element")
			}
		case xml.Directive:
			// encoding/xml does not expand entities from a DTD, but a
			// configuration file never needs one, so none is accepted.
			if bytes.HasPrefix(t, []byte("DOCTYPE")) {
				return k.errorf(lines.at(start), "a document type declaration (<!DOCTYPE ...>) is not allowed")
			}
			return k.errorf(lines.at(start), "markup declarations (<!...>) are not allowed")
		}
	}
	if !rootDone {
		return k.errorf(0, "no root element; want <%s>", k.root)
	}
	return nil
}

// checkRoot says what the root element should have been.
func (k docKind) checkRoot(n xml.Name, line int) error {
	if n.Space == k.ns && n.Local == k.root {
		return nil
	}
	for _, other := range []docKind{configKind, definitionKind} {
		if other != k && n.Local == other.root && n.Space == other.ns {
			return k.errorf(line, "this is a %s", other.kind)
		}
	}
	if n.Local == k.root {
		return k.errorf(line, "the root element <%s> is in the namespace %q; want %q", n.Local, n.Space, k.ns)
	}
	return k.errorf(line, "the root element is <%s>; want <%s>", n.Local, k.root)
}

// duplicateAttr reports an attribute name that occurs twice. encoding/xml
// accepts duplicates, which XML forbids; an edit would be ambiguous.
func duplicateAttr(attrs []xml.Attr) (string, bool) {
	for i := range attrs {
		for j := i + 1; j < len(attrs); j++ {
			if attrs[i].Name == attrs[j].Name {
				return attrs[i].Name.Local, true
			}
		}
	}
	return "", false
}

// lineCounter turns increasing byte offsets into 1-based line numbers.
type lineCounter struct {
	data []byte
	pos  int
	line int
}

func (c *lineCounter) at(off int) int {
	if off > len(c.data) {
		off = len(c.data)
	}
	if off > c.pos {
		c.line += bytes.Count(c.data[c.pos:off], []byte{'\n'})
		c.pos = off
	}
	return c.line
}

// rawAttr is where an attribute sits in the file.
type rawAttr struct {
	name     string // as written, with any prefix
	valStart int    // first byte of the value, after the opening quote
	valEnd   int    // the closing quote
	quote    byte
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// scanAttrs finds the attributes of the start tag data[el.start:el.end],
// which the decoder has already found well-formed, and checks that it
// found the same attributes in the same order as the decoder did.
func scanAttrs(data []byte, el element) ([]rawAttr, bool) {
	i, end := el.start+1, el.end
	for i < end && !isSpace(data[i]) && data[i] != '/' && data[i] != '>' {
		i++
	}
	var attrs []rawAttr
	for {
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end {
			return nil, false
		}
		if data[i] == '>' || data[i] == '/' {
			if !(i == end-1 || (data[i] == '/' && i == end-2)) {
				return nil, false
			}
			break
		}
		nameStart := i
		for i < end && !isSpace(data[i]) && data[i] != '=' {
			i++
		}
		name := string(data[nameStart:i])
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || data[i] != '=' {
			return nil, false
		}
		i++
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || (data[i] != '"' && data[i] != '\'') {
			return nil, false
		}
		q := data[i]
		i++
		valStart := i
		for i < end && data[i] != q {
			i++
		}
		if i >= end {
			return nil, false
		}
		attrs = append(attrs, rawAttr{name: name, valStart: valStart, valEnd: i, quote: q})
		i++
	}
	if len(attrs) != len(el.Attr) {
		return nil, false
	}
	for j, a := range attrs {
		n := el.Attr[j].Name
		if n.Space == "" && a.name != n.Local || n.Space != "" && !strings.HasSuffix(a.name, ":"+n.Local) {
			return nil, false
		}
	}
	return attrs, true
}
