// Package cscfg reads and edits the certificate thumbprints in an Azure
// Cloud Services service configuration (ServiceConfiguration.*.cscfg) and
// checks certificate names against the service definition (.csdef).
//
// Edits are made in place on the original bytes: SetThumbprint replaces
// only the values of the thumbprint and thumbprintAlgorithm attributes it
// changes (or inserts them when they are missing) and leaves every other
// byte of the file as it was, including comments, attribute order, quoting,
// indentation, line endings and a byte-order mark. The XML is never
// re-serialised.
//
// Inputs are untrusted: they are limited to MaxFileSize bytes and a fixed
// nesting depth, must be UTF-8, and may not contain a document type
// declaration.
//
// The formats are described in
// https://learn.microsoft.com/azure/cloud-services/schema-cscfg-file and
// https://learn.microsoft.com/azure/cloud-services/schema-csdef-file.
package cscfg

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/azcert/azcert/pkg/export"
)

// Algorithm is the only thumbprintAlgorithm Cloud Services accepts, and the
// one SetThumbprint writes.
const Algorithm = "sha1"

// Entry is one Certificate element of a service configuration:
// ServiceConfiguration/Role/Certificates/Certificate.
type Entry struct {
	// Role is the name attribute of the enclosing Role.
	Role string
	// Name is the certificate's name attribute, which the service
	// definition refers to.
	Name string
	// Thumbprint and Algorithm are the thumbprint and thumbprintAlgorithm
	// attributes as written (entity references decoded); empty when the
	// attribute is missing.
	Thumbprint string
	Algorithm  string
	// Line is the 1-based line of the element's "<".
	Line int
}

// NameNotFoundError reports a certificate name that the service
// configuration does not declare (in Role, when Role is not empty).
type NameNotFoundError struct {
	Name string
	Role string
	// Declared lists the certificate names that are declared (in Role,
	// when Role is not empty), each once, in file order.
	Declared []string
}

func (e *NameNotFoundError) Error() string {
	where := "the service configuration"
	if e.Role != "" {
		where = fmt.Sprintf("role %q", e.Role)
	}
	if len(e.Declared) == 0 {
		return fmt.Sprintf("certificate %q is not declared in %s, which declares no certificates", e.Name, where)
	}
	return fmt.Sprintf("certificate %q is not declared in %s (declared: %s)", e.Name, where, quoteList(e.Declared))
}

// RoleNotFoundError reports a role that the service configuration does not
// have.
type RoleNotFoundError struct {
	Role string
	// Roles lists the roles the file has, each once, in file order.
	Roles []string
}

func (e *RoleNotFoundError) Error() string {
	if len(e.Roles) == 0 {
		return fmt.Sprintf("role %q is not in the service configuration, which has no roles", e.Role)
	}
	return fmt.Sprintf("role %q is not in the service configuration (roles: %s)", e.Role, quoteList(e.Roles))
}

// ThumbprintError reports a thumbprint that cannot go into a service
// configuration.
type ThumbprintError struct {
	Thumbprint string
	Err        error
}

func (e *ThumbprintError) Error() string {
	return fmt.Sprintf("invalid thumbprint for a service configuration: %v", e.Err)
}

func (e *ThumbprintError) Unwrap() error { return e.Err }

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// certificate is an Entry with the places of its attributes in the file.
type certificate struct {
	Entry
	name, thumbprint, algorithm *rawAttr // nil when missing
}

// config is what parseConfig finds.
type config struct {
	roles []string // names of all Role elements, each once, in file order
	certs []certificate
}

func parseConfig(data []byte) (*config, error) {
	cfg := &config{}
	ns := configNamespace
	err := walk(data, configKind, func(stack []element) error {
		el := stack[len(stack)-1]
		switch {
		case len(stack) == 2 && el.is(ns, "Role"):
			name, _ := el.attr("name")
			if !slices.Contains(cfg.roles, name) {
				cfg.roles = append(cfg.roles, name)
			}
		case len(stack) == 4 && stack[1].is(ns, "Role") && stack[2].is(ns, "Certificates") && el.is(ns, "Certificate"):
			raw, ok := scanAttrs(data, el)
			if !ok {
				return configKind.errorf(el.line, "cannot locate the attributes of <Certificate>")
			}
			role, _ := stack[1].attr("name")
			c := certificate{Entry: Entry{Role: role, Line: el.line}}
			for i := range raw {
				a := &raw[i]
				value := el.Attr[i].Value
				switch a.name {
				case "name":
					c.name, c.Name = a, value
				case "thumbprint":
					c.thumbprint, c.Thumbprint = a, value
				case "thumbprintAlgorithm":
					c.algorithm, c.Algorithm = a, value
				}
			}
			if c.name == nil {
				return configKind.errorf(el.line, "a <Certificate> in role %q has no name attribute", role)
			}
			cfg.certs = append(cfg.certs, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse returns every certificate of a service configuration
// (ServiceConfiguration/Role/Certificates/Certificate) in file order.
// It returns a *FormatError for input that is not XML, has a document type
// declaration, has another root element, is larger than MaxFileSize or is
// nested too deeply.
func Parse(data []byte) ([]Entry, error) {
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(cfg.certs))
	for i, c := range cfg.certs {
		entries[i] = c.Entry
	}
	return entries, nil
}

// SetThumbprint sets thumbprint="<THUMBPRINT>" and thumbprintAlgorithm="sha1"
// on the Certificate called name in every role that declares it, or only
// in role when role is not empty, and returns the edited file.
//
// Only those attribute values change; every other byte of data stays as it
// was. A missing thumbprintAlgorithm attribute is inserted right after the
// thumbprint attribute, and a missing thumbprint attribute right after the
// name attribute, each preceded by one space and quoted with the quote
// character of the attribute it follows.
//
// thumbprint is read with export.ParseThumbprint, so it may be in any form
// azcert prints or accepts elsewhere (hex in either case, with or without
// ":" separators or a "sha1-" prefix; invisible characters such as the
// U+200E the Windows certificate dialog adds are dropped), but it must be a
// SHA-1 thumbprint: 20 bytes, 40 hex digits. It is written as 40 upper-case
// hex digits.
//
// changed lists the edited certificates as they were in data (with their
// previous thumbprint and algorithm), in file order; their Line is the same
// in out. A certificate that already had the thumbprint is listed too;
// compare out with data to tell whether anything changed. out never shares
// memory with data.
//
// Errors: *ThumbprintError for a bad thumbprint, *FormatError as for Parse,
// *RoleNotFoundError for a role the file does not have, and
// *NameNotFoundError for a name that is not declared where it was looked
// for.
func SetThumbprint(data []byte, name, role, thumbprint string) (out []byte, changed []Entry, err error) {
	value, err := normalizeThumbprint(thumbprint)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, nil, err
	}
	if role != "" && !slices.Contains(cfg.roles, role) {
		return nil, nil, &RoleNotFoundError{Role: role, Roles: cfg.roles}
	}
	var edits []edit
	for _, c := range cfg.certs {
		if c.Name != name || role != "" && c.Role != role {
			continue
		}
		edits = append(edits, c.edits(value)...)
		changed = append(changed, c.Entry)
	}
	if len(changed) == 0 {
		return nil, nil, &NameNotFoundError{Name: name, Role: role, Declared: cfg.declared(role)}
	}
	return splice(data, edits), changed, nil
}

// declared lists the certificate names in role (all roles when empty).
func (cfg *config) declared(role string) []string {
	var names []string
	for _, c := range cfg.certs {
		if (role == "" || c.Role == role) && !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
}

func normalizeThumbprint(s string) (string, error) {
	p, err := export.ParseThumbprint(s)
	if err != nil {
		return "", &ThumbprintError{Thumbprint: s, Err: err}
	}
	if len(p.Sum) != sha1.Size {
		return "", &ThumbprintError{Thumbprint: s, Err: errors.New("it is a SHA-256 thumbprint; a service configuration takes the SHA-1 thumbprint (40 hex digits)")}
	}
	return export.FormatThumbprint(p.Sum, export.SHA1, export.FormatAzure), nil
}

// edit replaces data[start:end] with text; start == end inserts.
type edit struct {
	start, end int
	text       string
}

// edits sets the certificate's thumbprint to value and its algorithm to
// sha1.
func (c certificate) edits(value string) []edit {
	var e []edit
	attr := func(a *rawAttr, name, value string) string {
		return " " + name + "=" + string(a.quote) + value + string(a.quote)
	}
	if c.thumbprint != nil {
		e = append(e, edit{c.thumbprint.valStart, c.thumbprint.valEnd, value})
		if c.algorithm == nil {
			after := c.thumbprint.valEnd + 1
			e = append(e, edit{after, after, attr(c.thumbprint, "thumbprintAlgorithm", Algorithm)})
		}
	} else {
		text := attr(c.name, "thumbprint", value)
		if c.algorithm == nil {
			text += attr(c.name, "thumbprintAlgorithm", Algorithm)
		}
		after := c.name.valEnd + 1
		e = append(e, edit{after, after, text})
	}
	if c.algorithm != nil {
		e = append(e, edit{c.algorithm.valStart, c.algorithm.valEnd, Algorithm})
	}
	return e
}

// splice applies non-overlapping edits to a copy of data.
func splice(data []byte, edits []edit) []byte {
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	n := len(data)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = append(out, data[pos:e.start]...)
		out = append(out, e.text...)
		pos = e.end
	}
	return append(out, data[pos:]...)
}
