package entra

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdtest"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	entraid "github.com/azcert/azcert/pkg/entra"
	"github.com/azcert/azcert/pkg/graph"
)

const app = "41ccda45-f054-4b4c-828b-d68d4fc40758"

var connArgs = []string{"--app", app, "--service-principal", "--cloud", "usgov", "--graph-endpoint", "https://127.0.0.1:8443", "--access-token", "env:TOK", "--ca-file", "ca.pem", "--timeout", "30s", "--retries", "2"}

var connWant = cmdutil.EntraFlags{App: app, ServicePrincipal: true, AccessToken: "env:TOK",
	Conn: cmdutil.ConnFlags{Cloud: "usgov", Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", Timeout: 30 * time.Second, Retries: 2, CloudChanged: true}}

var connDefault = cmdutil.EntraFlags{Conn: cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4}}

func TestNewCmdAdd(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdAdd, []string{"a.cer"}, AddOptions{Entra: connDefault, File: "a.cer"})
	cmdtest.CheckOptions(t, NewCmdAdd, append([]string{"a.pfx", "--in-password", "env:PW", "--display-name", "ci", "--start", "2026-01-01", "--end", "2026-12-31T00:00:00Z",
		"--proof-cert", "old.pfx", "--proof-password", "file:pw"}, connArgs...),
		AddOptions{Entra: connWant, File: "a.pfx", InPassword: "env:PW", DisplayName: "ci", Start: "2026-01-01", End: "2026-12-31T00:00:00Z", ProofCert: "old.pfx", ProofPassword: "file:pw"})
	cmdtest.Refused(t, NewCmdAdd, []string{}, "give one certificate file")
	cmdtest.Refused(t, NewCmdAdd, []string{"a.cer", "b.cer"}, "give one certificate file")
	cmdtest.Refused(t, NewCmdAdd, []string{"a.cer", "--retries", "many"}, "invalid argument")
}

func TestNewCmdList(t *testing.T) {
	cmdtest.CheckOptions(t, NewCmdList, []string{}, ListOptions{Entra: connDefault})
	cmdtest.CheckOptions(t, NewCmdList, connArgs, ListOptions{Entra: connWant})
	cmdtest.Refused(t, NewCmdList, []string{"extra"}, "unknown command")
}

func TestNewCmdRemove(t *testing.T) {
	key := "8d2e9c0a-5b7f-4e1d-9a63-2f4c8b1e7d05"
	cmdtest.CheckOptions(t, NewCmdRemove, []string{"--key-id", key}, RemoveOptions{Entra: connDefault, KeyID: key})
	cmdtest.CheckOptions(t, NewCmdRemove, append([]string{"--thumbprint", "ab:cd", "--proof-cert", "new.pfx", "--proof-password", "env:PW", "--force", "-y"}, connArgs...),
		RemoveOptions{Entra: connWant, Thumbprint: "ab:cd", ProofCert: "new.pfx", ProofPassword: "env:PW", Force: true, Yes: true})
	cmdtest.Refused(t, NewCmdRemove, []string{}, "--key-id ID or --thumbprint T")
	cmdtest.Refused(t, NewCmdRemove, []string{"--key-id", key, "--thumbprint", "AB"}, "(one of them)")
	cmdtest.Refused(t, NewCmdRemove, []string{"extra", "--key-id", key}, "unknown command")
}

func TestNewCmdSignIn(t *testing.T) {
	def := cmdutil.ConnFlags{Cloud: "public", Timeout: 2 * time.Minute, Retries: 4}
	cmdtest.CheckOptions(t, NewCmdSignIn, []string{"a.pfx"}, SignInOptions{Conn: def, File: "a.pfx"})
	cmdtest.CheckOptions(t, NewCmdSignIn, []string{"a.pfx", "--tenant", "contoso.onmicrosoft.com", "--app", app, "--in-password", "env:PW", "--scope", "https://management.azure.com/.default",
		"--authority", "https://127.0.0.1:8443", "--cloud", "china", "--ca-file", "ca.pem"},
		SignInOptions{Conn: cmdutil.ConnFlags{Cloud: "china", Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", Timeout: 2 * time.Minute, Retries: 4, CloudChanged: true},
			File: "a.pfx", Tenant: "contoso.onmicrosoft.com", App: app, InPassword: "env:PW", Scope: "https://management.azure.com/.default"})
	cmdtest.Refused(t, NewCmdSignIn, []string{}, "give the .pfx")
	cmdtest.Refused(t, NewCmdSignIn, []string{"a.pfx", "--service-principal"}, "unknown flag")
}

// Before any request: what is missing or malformed is a usage error.
func TestRunRefusesBeforeConnecting(t *testing.T) {
	for _, tt := range []struct {
		name string
		run  func(*cmdutil.Factory) error
		want string
		code int
	}{
		{"signin without tenant", func(f *cmdutil.Factory) error {
			return SignInRun(&SignInOptions{IO: f.IO, Factory: f, File: "a.pfx", App: app})
		}, "--tenant is required", 2},
		{"signin without app", func(f *cmdutil.Factory) error {
			return SignInRun(&SignInOptions{IO: f.IO, Factory: f, File: "a.pfx", Tenant: "t"})
		}, "--app is required", 2},
		{"signin app not a GUID", func(f *cmdutil.Factory) error {
			return SignInRun(&SignInOptions{IO: f.IO, Factory: f, File: "a.pfx", Tenant: "t", App: "ci-deploy"})
		}, "not a GUID", 2},
		{"add bad start", func(f *cmdutil.Factory) error {
			return AddRun(&AddOptions{IO: f.IO, Factory: f, File: "a.cer", Start: "tomorrow"})
		}, "--start \"tomorrow\"", 2},
		{"add end before start", func(f *cmdutil.Factory) error {
			return AddRun(&AddOptions{IO: f.IO, Factory: f, File: "a.cer", Start: "2026-06-01", End: "2026-05-01"})
		}, "is not after --start", 2},
		{"add proof password alone", func(f *cmdutil.Factory) error {
			return AddRun(&AddOptions{IO: f.IO, Factory: f, File: "a.cer", ProofPassword: "env:PW"})
		}, "give --proof-cert too", 2},
		{"remove bad key id", func(f *cmdutil.Factory) error {
			return RemoveRun(&RemoveOptions{IO: f.IO, Factory: f, KeyID: "k1", Yes: true})
		}, "--key-id \"k1\" is not a GUID", 2},
		{"remove bad thumbprint", func(f *cmdutil.Factory) error {
			return RemoveRun(&RemoveOptions{IO: f.IO, Factory: f, Thumbprint: "ABC", Yes: true})
		}, "not a SHA-1 thumbprint", 2},
		{"remove without yes or terminal", func(f *cmdutil.Factory) error {
			return RemoveRun(&RemoveOptions{IO: f.IO, Factory: f, Thumbprint: "00112233445566778899AABBCCDDEEFF00112233"})
		}, "give --yes", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			f.Graph = func(ctx context.Context, o *cmdutil.EntraFlags) (*cmdutil.GraphSession, error) {
				t.Fatal("connected")
				return nil, nil
			}
			err := tt.run(f)
			if err == nil || !strings.Contains(err.Error(), tt.want) || cmdutil.ExitCode(err) != tt.code {
				t.Errorf("error %v (exit %d), want %q and exit %d", err, cmdutil.ExitCode(err), tt.want, tt.code)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tt := range []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"valid", now.Add(-day), now.Add(90 * day), StatusValid},
		{"expiring soon", now.Add(-day), now.Add(29 * day), StatusExpiringSoon},
		{"30 days left", now.Add(-day), now.Add(30 * day), StatusValid},
		{"expired", now.Add(-90 * day), now.Add(-day), StatusExpired},
		{"ends now", now.Add(-90 * day), now, StatusExpired},
		{"not yet valid", now.Add(day), now.Add(90 * day), StatusNotYetValid},
		{"no dates", time.Time{}, time.Time{}, StatusValid},
	} {
		kc := &graph.KeyCredential{Start: tt.start, End: tt.end}
		if got := Status(kc, now); got != tt.want {
			t.Errorf("%s: Status(%v..%v) = %q, want %q", tt.name, tt.start, tt.end, got, tt.want)
		}
	}
}

func TestX5T(t *testing.T) {
	thumb := "D236705EB58A29BD399CA00231F624903F009CB3"
	raw, _ := hex.DecodeString(thumb)
	if got, want := X5T(&graph.KeyCredential{Thumbprint: thumb}), base64.RawURLEncoding.EncodeToString(raw); got != want || got != "0jZwXrWKKb05nKACMfYkkD8AnLM" {
		t.Errorf("X5T(%s) = %q, want %q", thumb, got, want)
	}
	if got := X5T(&graph.KeyCredential{Thumbprint: "nope"}); got != "" {
		t.Errorf("X5T(nope) = %q, want \"\"", got)
	}
}

func TestTokenErrorIDs(t *testing.T) {
	te, ok := entraid.ParseTokenError(401, []byte(`{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.\r\nTrace ID: 0a1b\r\nCorrelation ID: 2c3d\r\nTimestamp: 2026-03-01 12:00:00Z","error_codes":[700027],"trace_id":"0a1b","correlation_id":"2c3d"}`))
	if !ok {
		t.Fatal("not parsed")
	}
	if got, want := tokenErrorIDs(te), " (401 invalid_client, trace id 0a1b, correlation id 2c3d)"; got != want {
		t.Errorf("tokenErrorIDs = %q, want %q", got, want)
	}
	if got := tokenErrorIDs(errors.New("dial tcp: refused")); got != "" {
		t.Errorf("tokenErrorIDs(other) = %q, want \"\"", got)
	}
}
