package azure_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
)

// TestStateFileOfEarlierReleases: testdata/state-v1.json was written by
// the emulator before it was split into one package per service (then
// pkg/mgmtclient/mgmttest). It loads with everything in it, and saving it
// again writes the same bytes.
func TestStateFileOfEarlierReleases(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "state-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := azure.New(azure.Config{StatePath: path})
	if err != nil {
		t.Fatalf("New(state of an earlier release) = %v", err)
	}
	if e.Subscription != "0a1b2c3d-0000-4000-8000-123456789abc" {
		t.Errorf("Subscription = %q, want the one in the file", e.Subscription)
	}
	if got := e.ASM.ManagementCertificates(); !slices.Equal(got, []string{"31E319A61418E0FBD542EBFAC6C83D7D3A2C909A", "D5884E4944F3F28AD0E26A5BA50F6D78B6517BF3"}) {
		t.Errorf("ASM.ManagementCertificates() = %v", got)
	}
	if got := e.ASM.ServiceCertificates("contoso-web"); !slices.Equal(got, []string{"99B913CC9EC3B5BB51C5239F15D19408A776A37F"}) {
		t.Errorf("ASM.ServiceCertificates(contoso-web) = %v", got)
	}
	if got := e.ASM.ServiceCertificates("empty-svc"); got == nil || len(got) != 0 {
		t.Errorf("ASM.ServiceCertificates(empty-svc) = %#v, want an empty list", got)
	}
	if got := e.APIM.Certificates("rg-api", "contoso-apim"); !slices.Equal(got, []string{"Kept-One", "used"}) {
		t.Errorf("APIM.Certificates(rg-api/contoso-apim) = %v", got)
	}
	if got := e.APIM.Certificates("other-rg", "EMPTY-APIM"); got == nil || len(got) != 0 {
		t.Errorf("APIM.Certificates(Other-RG/empty-apim) = %#v, want an empty list", got)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("saved again, the state file is\n%s\nwant it as it was\n%s", got, want)
	}
}
