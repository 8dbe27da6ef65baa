package cscfg

import (
	"fmt"
	"slices"
	"strings"
)

// definedRole is a role of a service definition and its certificate names.
type definedRole struct {
	name  string
	certs []string
}

// roleElements are the role kinds of a service definition.
var roleElements = []string{"WebRole", "WorkerRole", "VirtualMachineRole"}

func parseDefinition(data []byte) ([]definedRole, error) {
	var roles []definedRole
	ns := definitionNamespace
	isRole := func(el element) bool {
		return el.Name.Space == ns && slices.Contains(roleElements, el.Name.Local)
	}
	err := walk(data, definitionKind, func(stack []element) error {
		el := stack[len(stack)-1]
		switch {
		case len(stack) == 2 && isRole(el):
			name, _ := el.attr("name")
			roles = append(roles, definedRole{name: name})
		case len(stack) == 4 && isRole(stack[1]) && stack[2].is(ns, "Certificates") && el.is(ns, "Certificate"):
			name, ok := el.attr("name")
			if !ok {
				return definitionKind.errorf(el.line, "a <Certificate> has no name attribute")
			}
			r := &roles[len(roles)-1]
			if !slices.Contains(r.certs, name) {
				r.certs = append(r.certs, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return roles, nil
}

// DefinedCertificates returns, for each role of a service definition
// (WebRole, WorkerRole and VirtualMachineRole elements, keyed by their name
// attribute), the names of the certificates it declares in
// Certificates/Certificate, in file order. A role that declares none maps
// to an empty slice. Errors are *FormatError, with the same limits as
// Parse.
func DefinedCertificates(csdef []byte) (map[string][]string, error) {
	roles, err := parseDefinition(csdef)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]string, len(roles))
	for _, r := range roles {
		m[r.name] = append(m[r.name], r.certs...)
		if m[r.name] == nil {
			m[r.name] = []string{}
		}
	}
	return m, nil
}

// DefinitionMismatchError reports that the service configuration and the
// service definition disagree about a certificate.
type DefinitionMismatchError struct {
	Name string
	// Problems says what disagrees, one sentence per role.
	Problems []string
}

func (e *DefinitionMismatchError) Error() string {
	return fmt.Sprintf("certificate %q does not match the service definition: %s", e.Name, strings.Join(e.Problems, "; "))
}

// CheckAgainstDefinition checks, before SetThumbprint(cscfg, name, role,
// ...), that the certificate called name is declared consistently in the
// service configuration and the service definition. The roles concerned are
// role when it is not empty, otherwise every role that declares name in
// either file. Each must be defined in the .csdef and declare name there,
// and declare name in the .cscfg; Azure refuses a deployment whose two
// files disagree.
//
// Errors: *FormatError for either file, *RoleNotFoundError for a role the
// .cscfg does not have, *NameNotFoundError when neither file declares name,
// and *DefinitionMismatchError listing every disagreement.
func CheckAgainstDefinition(cscfg, csdef []byte, name, role string) error {
	cfg, err := parseConfig(cscfg)
	if err != nil {
		return err
	}
	def, err := parseDefinition(csdef)
	if err != nil {
		return err
	}
	if role != "" && !slices.Contains(cfg.roles, role) {
		return &RoleNotFoundError{Role: role, Roles: cfg.roles}
	}
	inConfig := map[string]bool{}
	for _, c := range cfg.certs {
		if c.Name == name {
			inConfig[c.Role] = true
		}
	}
	defined := map[string][]string{}
	var defRoles []string
	for _, r := range def {
		if _, ok := defined[r.name]; !ok {
			defRoles = append(defRoles, r.name)
		}
		defined[r.name] = append(defined[r.name], r.certs...)
	}
	var concerned []string
	if role != "" {
		concerned = []string{role}
	} else {
		for _, r := range cfg.roles {
			if inConfig[r] {
				concerned = append(concerned, r)
			}
		}
		for _, r := range defRoles {
			if slices.Contains(defined[r], name) && !slices.Contains(concerned, r) {
				concerned = append(concerned, r)
			}
		}
		if len(concerned) == 0 {
			return &NameNotFoundError{Name: name, Declared: cfg.declared("")}
		}
	}
	var problems []string
	for _, r := range concerned {
		certs, ok := defined[r]
		switch {
		case !ok && len(defRoles) == 0:
			problems = append(problems, fmt.Sprintf("role %q is not in the service definition, which has no roles", r))
		case !ok:
			problems = append(problems, fmt.Sprintf("role %q is not in the service definition (roles: %s)", r, quoteList(defRoles)))
		case !slices.Contains(certs, name):
			if len(certs) == 0 {
				problems = append(problems, fmt.Sprintf("the service definition declares no certificates for role %q", r))
			} else {
				problems = append(problems, fmt.Sprintf("the service definition does not declare it for role %q (declared there: %s)", r, quoteList(certs)))
			}
		}
		if ok && slices.Contains(certs, name) && !inConfig[r] {
			problems = append(problems, fmt.Sprintf("the service definition declares it for role %q but the service configuration does not", r))
		}
	}
	if len(problems) > 0 {
		return &DefinitionMismatchError{Name: name, Problems: problems}
	}
	return nil
}
