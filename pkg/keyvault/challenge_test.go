package keyvault

import (
	"errors"
	"testing"
)

func TestParseChallenge(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		name, header, host string
		scope, tenant      string // "" scope: refused
	}{
		{"resource", `Bearer authorization="https://login.microsoftonline.com/` + tenant + `", resource="https://vault.azure.net"`,
			"contoso.vault.azure.net", "https://vault.azure.net/.default", tenant},
		{"scope wins, no commas", `Bearer authorization="https://login.microsoftonline.com/` + tenant + `" scope="https://vault.azure.net/.default" resource="https://other.example"`,
			"contoso.vault.azure.net", "https://vault.azure.net/.default", tenant},
		{"trailing slash", `Bearer authorization="https://login.chinacloudapi.cn/t1/", resource="https://vault.azure.cn/"`,
			"contoso.vault.azure.cn", "https://vault.azure.cn/.default", "t1"},
		{"authorization_uri, spaces around =", `Bearer authorization_uri = "https://login.microsoftonline.us/t2", resource = "https://vault.usgovcloudapi.net"`,
			"kv.vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default", "t2"},
		{"dstsv2", `Bearer authorization="https://dsts.example/dstsv2/t3", resource="https://vault.azure.net"`,
			"a.vault.azure.net", "https://vault.azure.net/.default", "t3"},
		{"no tenant", `Bearer resource="https://vault.azure.net"`, "a.vault.azure.net", "https://vault.azure.net/.default", ""},
		{"same host", `Bearer authorization="https://login.example/t", resource="https://127.0.0.1"`, "127.0.0.1", "https://127.0.0.1/.default", "t"},
		{"same host, case", `Bearer resource="https://Contoso.Vault.Azure.Net"`, "contoso.vault.azure.net", "https://Contoso.Vault.Azure.Net/.default", ""},
		{"managed HSM", `Bearer authorization="https://login.microsoftonline.com/t", resource="https://managedhsm.azure.net"`,
			"h.managedhsm.azure.net", "https://managedhsm.azure.net/.default", "t"},
		{"another challenge first", `PoP nonce="abc", Bearer authorization="https://login.example/t", resource="https://vault.azure.net"`,
			"a.vault.azure.net", "https://vault.azure.net/.default", "t"},
		{"another domain", `Bearer resource="https://vault.azure.net"`, "127.0.0.1", "", ""},
		{"suffix without a dot", `Bearer resource="https://azure.net"`, "contoso.evilazure.net", "", ""},
		{"a TLD is no parent", `Bearer resource="https://net"`, "contoso.vault.azure.net", "", ""},
		{"IP parent", `Bearer resource="https://0.0.1"`, "127.0.0.1", "", ""},
		{"no resource", `Bearer authorization="https://login.example/t"`, "a.vault.azure.net", "", ""},
		{"not a URL", `Bearer resource="vault.azure.net"`, "a.vault.azure.net", "", ""},
		{"Basic only", `Basic realm="x"`, "a.vault.azure.net", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tro, err := parseChallenge([]string{tt.header}, tt.host)
			if tt.scope == "" {
				var ce *ChallengeError
				if !errors.As(err, &ce) {
					t.Errorf("parseChallenge(%s, %s) = %+v, %v; want a *ChallengeError", tt.header, tt.host, tro, err)
				}
				return
			}
			if err != nil || len(tro.Scopes) != 1 || tro.Scopes[0] != tt.scope || tro.TenantID != tt.tenant {
				t.Errorf("parseChallenge(%s, %s) = %+v, %v; want scope %s, tenant %q", tt.header, tt.host, tro, err, tt.scope, tt.tenant)
			}
		})
	}
}
