package cscfg

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const defNS = `xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition"`

func TestDefinedCertificates(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string][]string
	}{
		{
			name: "fixture",
			in:   string(readFixture(t, definitionPath)),
			want: map[string][]string{
				"WebRole1":      {"SSL", "Signing"},
				"WorkerRole1":   {"SSL", "Encryption"},
				"ReportingRole": {},
			},
		},
		{
			name: "virtual machine role and elements that are not roles",
			in: `<ServiceDefinition ` + defNS + `><VirtualMachineRole name="VM"><Certificates><Certificate name="A"/></Certificates></VirtualMachineRole>` +
				`<NetworkTrafficRules><Certificates><Certificate name="X"/></Certificates></NetworkTrafficRules>` +
				`<WebRole name="W"><Sites><Certificates><Certificate name="Y"/></Certificates></Sites></WebRole></ServiceDefinition>`,
			want: map[string][]string{"VM": {"A"}, "W": {}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefinedCertificates([]byte(tt.in))
			if err != nil {
				t.Fatalf("DefinedCertificates error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DefinedCertificates = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefinedCertificatesErrors(t *testing.T) {
	tests := []struct {
		name, in, wantMsg string
	}{
		{"not XML", "name: Contoso", "text outside the root element"},
		{"DOCTYPE", "<!DOCTYPE ServiceDefinition><ServiceDefinition " + defNS + "/>", "document type declaration"},
		{"a service configuration", "<ServiceConfiguration " + ns + "/>", "this is a service configuration (.cscfg)"},
		{"wrong root", "<Project/>", "the root element is <Project>; want <ServiceDefinition>"},
		{"Certificate without a name", "<ServiceDefinition " + defNS + "><WebRole name=\"W\"><Certificates><Certificate/></Certificates></WebRole></ServiceDefinition>", "has no name attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DefinedCertificates([]byte(tt.in))
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "not a valid service definition (.csdef): ") {
				t.Errorf("DefinedCertificates error = %v, want a *FormatError about the .csdef containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCheckAgainstDefinition(t *testing.T) {
	cscfg := string(readFixture(t, fixturePath))
	csdef := string(readFixture(t, definitionPath))
	// Variations of the fixtures, made by replacing one line.
	defWithoutSigning := strings.Replace(csdef, `<Certificate name="Signing" storeLocation="LocalMachine" storeName="My" />`, ``, 1)
	defWithoutWorkerSSL := strings.Replace(csdef, "<Certificate name=\"SSL\" storeLocation=\"LocalMachine\" storeName=\"My\" />\r\n      <Certificate name=\"Encryption\"", "<Certificate name=\"Encryption\"", 1)
	defWithoutReporting := csdef[:strings.Index(csdef, `  <WorkerRole name="ReportingRole"`)] + "</ServiceDefinition>\r\n"
	defEmpty := "<ServiceDefinition " + defNS + "/>"
	defReportingSSL := strings.Replace(csdef, "<Setting name=\"ReportSchedule\" />\r\n    </ConfigurationSettings>", "<Setting name=\"ReportSchedule\" />\r\n    </ConfigurationSettings>\r\n    <Certificates><Certificate name=\"SSL\" storeLocation=\"LocalMachine\" storeName=\"My\" /></Certificates>", 1)
	for _, v := range []string{defWithoutSigning, defWithoutWorkerSSL, defWithoutReporting, defReportingSSL} {
		if v == csdef {
			t.Fatal("a variation of the .csdef fixture is the same as the fixture")
		}
	}

	tests := []struct {
		name         string
		cscfg, csdef string
		cert, role   string
		want         error // nil for success
		wantMsg      string
	}{
		{name: "declared in both roles", cscfg: cscfg, csdef: csdef, cert: "SSL"},
		{name: "one role", cscfg: cscfg, csdef: csdef, cert: "SSL", role: "WorkerRole1"},
		{name: "declared in one role", cscfg: cscfg, csdef: csdef, cert: "Encryption"},
		{
			name: "not in the definition", cscfg: cscfg, csdef: defWithoutSigning, cert: "Signing",
			want:    &DefinitionMismatchError{Name: "Signing", Problems: []string{`the service definition does not declare it for role "WebRole1" (declared there: "SSL")`}},
			wantMsg: `certificate "Signing" does not match the service definition: the service definition does not declare it for role "WebRole1" (declared there: "SSL")`,
		},
		{
			name: "not in the definition of one of the roles", cscfg: cscfg, csdef: defWithoutWorkerSSL, cert: "SSL",
			want: &DefinitionMismatchError{Name: "SSL", Problems: []string{`the service definition does not declare it for role "WorkerRole1" (declared there: "Encryption")`}},
		},
		{
			name: "the other role is fine", cscfg: cscfg, csdef: defWithoutWorkerSSL, cert: "SSL", role: "WebRole1",
		},
		{
			name: "the definition declares it for a role the configuration does not", cscfg: cscfg, csdef: defReportingSSL, cert: "SSL",
			want: &DefinitionMismatchError{Name: "SSL", Problems: []string{`the service definition declares it for role "ReportingRole" but the service configuration does not`}},
		},
		{
			name: "role without certificates in the definition", cscfg: cscfg, csdef: csdef, cert: "SSL", role: "ReportingRole",
			want: &DefinitionMismatchError{Name: "SSL", Problems: []string{`the service definition declares no certificates for role "ReportingRole"`}},
		},
		{
			name: "role missing from the definition", cscfg: cscfg, csdef: defWithoutReporting, cert: "SSL", role: "ReportingRole",
			want: &DefinitionMismatchError{Name: "SSL", Problems: []string{`role "ReportingRole" is not in the service definition (roles: "WebRole1", "WorkerRole1")`}},
		},
		{
			name: "empty definition", cscfg: cscfg, csdef: defEmpty, cert: "SSL",
			want: &DefinitionMismatchError{Name: "SSL", Problems: []string{
				`role "WebRole1" is not in the service definition, which has no roles`,
				`role "WorkerRole1" is not in the service definition, which has no roles`,
			}},
		},
		{
			name: "declared nowhere", cscfg: cscfg, csdef: csdef, cert: "Missing",
			want: &NameNotFoundError{Name: "Missing", Declared: []string{"SSL", "Signing", "Encryption"}},
		},
		{
			name: "unknown role", cscfg: cscfg, csdef: csdef, cert: "SSL", role: "NoSuchRole",
			want: &RoleNotFoundError{Role: "NoSuchRole", Roles: []string{"WebRole1", "WorkerRole1", "ReportingRole"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAgainstDefinition([]byte(tt.cscfg), []byte(tt.csdef), tt.cert, tt.role)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckAgainstDefinition(%q, %q) error: %v", tt.cert, tt.role, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckAgainstDefinition(%q, %q) succeeded, want %v", tt.cert, tt.role, tt.want)
			}
			target := reflect.New(reflect.TypeOf(tt.want))
			if !errors.As(err, target.Interface()) {
				t.Fatalf("CheckAgainstDefinition error = %T %v, want %T", err, err, tt.want)
			}
			if got := target.Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckAgainstDefinition error = %#v, want %#v", got, tt.want)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("CheckAgainstDefinition error = %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCheckAgainstDefinitionBadFiles(t *testing.T) {
	cscfg := readFixture(t, fixturePath)
	csdef := readFixture(t, definitionPath)
	tests := []struct {
		name         string
		cscfg, csdef []byte
		wantKind     string
	}{
		{"bad .cscfg", []byte("<x/>"), csdef, configKind.kind},
		{"bad .csdef", cscfg, []byte("<x/>"), definitionKind.kind},
		{"files swapped", csdef, cscfg, configKind.kind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAgainstDefinition(tt.cscfg, tt.csdef, "SSL", "")
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Kind != tt.wantKind {
				t.Errorf("CheckAgainstDefinition error = %v, want a *FormatError about the %s", err, tt.wantKind)
			}
		})
	}
}
