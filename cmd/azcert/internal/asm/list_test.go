package asm

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// TestListWithPreparedClient hands `azcert list` a client through the
// Factory's ServiceManagement constructor, as any test of a Service
// Management command can: the client talks to a handler that answers List
// Management Certificates, and the command prints what it answered.
func TestListWithPreparedClient(t *testing.T) {
	const sub = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	names, err := certgen.ParseNames([]string{"azcert-mgmt"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	res, err := certgen.Sign(certgen.Request{Names: names, Purpose: certgen.PurposeManagement, Now: now, NotAfter: now.AddDate(1, 0, 0)}, key)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := mgmtclient.NewSubscriptionCertificate(res.Cert)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)
	sc.Created = &created
	body, err := xml.Marshal(mgmtclient.SubscriptionCertificates{Certificates: []mgmtclient.SubscriptionCertificate{*sc}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/"+sub+"/certificates" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	client, err := mgmtclient.New(mgmtclient.Options{Endpoint: srv.URL, Subscription: sub, HTTPClient: srv.Client(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, output string
		check        func(t *testing.T, stdout string)
	}{
		{name: "table", output: "text", check: func(t *testing.T, stdout string) {
			want := "THUMBPRINT                                REGISTERED  EXPIRES     SUBJECT\n" +
				sc.Thumbprint + "  2026-02-01  2027-03-01  CN=azcert-mgmt (used for this call)\n"
			if stdout != want {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
		}},
		{name: "json", output: "json", check: func(t *testing.T, stdout string) {
			var got []ListEntry
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not a JSON list: %v\n%s", err, stdout)
			}
			if len(got) != 1 || got[0].Thumbprint != sc.Thumbprint || !got[0].Auth || got[0].Created == nil || !got[0].Created.Equal(created) {
				t.Errorf("JSON = %+v, want the one certificate, created %s, used for this call", got, created)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			f.Output = tt.output
			var asked *cmdutil.MgmtFlags
			f.ServiceManagement = func(ctx context.Context, o *cmdutil.MgmtFlags) (*cmdutil.MgmtSession, error) {
				asked = o
				return &cmdutil.MgmtSession{Client: client, Subscription: sub, Endpoint: srv.URL, AuthThumb: sc.Thumbprint}, nil
			}
			cmd := NewCmdList(f, nil)
			cmd.SetArgs([]string{"--subscription", sub, "--cloud", "usgov"})
			if err := cmd.Execute(); err != nil {
				t.Fatalf("list: %v (stderr %s)", err, errOut)
			}
			if asked == nil || asked.Subscription != sub || !asked.Conn.CloudChanged {
				t.Errorf("ServiceManagement was asked with %+v, want --subscription and --cloud as given", asked)
			}
			tt.check(t, out.String())
			if strings.TrimSpace(errOut.String()) != "" {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
		})
	}
}
